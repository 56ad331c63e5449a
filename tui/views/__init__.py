"""Views connect domain objects to widgets: they own watchers and workers, turn domain events
into messages, and hand data to the widgets in `widgets/`. One module per feature area."""
