"""Customer-experience insights: aggregations over the stored sentence analysis, computed in SQL."""
