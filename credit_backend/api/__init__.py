"""HTTP layer: routers, dependencies and error handling. Business rules live in services/ and rules/."""
