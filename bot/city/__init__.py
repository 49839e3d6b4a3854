"""Typed async clients for the city's APIs: Open311 GeoReport v2 and the city JSON API."""

from bot.city.client import City
from bot.city.errors import CityError, CityNotFound, CityRejected, CityUnavailable

__all__ = ["City", "CityError", "CityNotFound", "CityRejected", "CityUnavailable"]
