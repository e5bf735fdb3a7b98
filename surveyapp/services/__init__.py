"""Services: the only code that queries or commits; each owns its transactions."""
