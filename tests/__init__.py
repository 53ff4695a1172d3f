"""crm360 test suite."""
