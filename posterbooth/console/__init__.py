"""The marketer console's domain: operators, audit, pause switches, statistics, takedown and export (no Flask)."""
