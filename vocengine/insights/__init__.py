"""Customer-experience insights: aggregations over the stored sentence analysis, computed with numpy from an
in-memory frame of the scored sentences (`frame.py`), or in SQL for filters on segments."""
