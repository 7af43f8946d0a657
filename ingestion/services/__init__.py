"""Everything that writes the catalog: upserts shared by all importers and crawlers, import runs, demo data."""
