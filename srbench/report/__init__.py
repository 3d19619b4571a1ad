"""Tables from result rows: leaderboards of means and their console rendering."""
