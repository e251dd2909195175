"""The provincial online service hall (省网上办事大厅): numbering service, data exchange."""
