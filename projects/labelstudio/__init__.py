"""The only package that talks to Label Studio: client, connections, push, pull, webhooks, accounts and rework
projects.
"""
