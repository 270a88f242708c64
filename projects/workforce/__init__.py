"""Workforce control: acting on quality (how many annotators a task gets, who may go on labeling)."""
