"""The clean-up before SCIM is switched on (issue 14): read a CSV or XLSX of the LMS's existing accounts
(files.py), report before anything changes what a roll-out would meet (report.py: duplicates, the same
person under two emails, accounts no IdP knows, and per connection how its creates will match, by the
adoption rule of services/adoption.py), and apply it (services/account_cleanup.py: import, merge, mark).
"""
