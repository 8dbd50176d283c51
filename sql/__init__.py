"""SQL files of the ledger, shipped inside the package as quota.sql."""
