"""Pages of the supplier registry: public, the firm's own, its team, and the registry's."""
