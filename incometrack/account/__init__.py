"""A person's own account: reminder emails, the calendar feed, and how both are built."""
