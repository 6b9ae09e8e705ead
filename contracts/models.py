"""Contracts from awards: electronic signatures, milestones, deliveries, amendments."""
