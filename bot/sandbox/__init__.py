"""The sandbox city: Open311 GeoReport v2, the city JSON API and a demo portal, with seeded data.

Start it with ``python -m bot.sandbox``; tests build it with :func:`bot.sandbox.app.make_app`.
"""
