"""What project managers read: the project dashboard, costs, the weekly report, the SVG charts, and keeping their
figures fresh.
"""
