"""The page routers: account, borrower, staff console."""
