"""Use cases over the database: each module applies the pure rules to stored data."""
