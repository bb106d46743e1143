"""Projects and milestones: delivery kept current by project leads, with baselines and history."""
