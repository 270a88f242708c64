"""Browser pages outside the admin: the vendor portal, the QA review pages, and the Label Studio webhook receiver's
endpoint.
"""
