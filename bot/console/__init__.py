"""The staff console: a server-rendered web app for service-window staff and admins (issue 11).

It keeps the user's backend session token in an HttpOnly SameSite=Strict cookie, calls the backend with
``X-Console-Session`` and talks to Rasa through the signed ``trusted`` channel as ``staff:<account>``.
"""
