"""A travel domain of our own: the lecture's examples made executable (fcstudio's demo domain).

Weather by place and day, airports near a city, flights by airport, flight search and booking,
driving distance, in-car navigation, and a calendar whose events carry a location (so that
``check_calendar`` returns what ``navigate`` needs). Read tools leave the state alone; write tools
change it. The clock is fixed at ``TODAY`` so that episodes are reproducible.
"""

from __future__ import annotations

import math
from typing import Literal

from fcstudio.envs.base import DomainError, Environment, State, tool
from fcstudio.envs.loading import load_state
from fcstudio.envs.records import Record

TODAY = "2026-11-24"
Cabin = Literal["economy", "business", "first"]


class Airport(Record):
    code: str
    name: str
    city: str
    lat: float
    lon: float


class Place(Record):
    name: str
    city: str
    lat: float
    lon: float


class Forecast(Record):
    location: str
    date: str
    temperature_c: float
    condition: str
    precipitation_chance: float


class Flight(Record):
    flight_number: str
    origin: str
    destination: str
    date: str
    departure_time: str
    arrival_time: str
    prices: dict[Cabin, float]
    seats: dict[Cabin, int]


class PaymentMethod(Record):
    id: str
    kind: Literal["credit_card", "travel_credit"]
    balance: float | None = None


class Booking(Record):
    booking_id: str
    flight_number: str
    date: str
    passenger_name: str
    destination: str
    cabin: Cabin
    price: float
    payment_method_id: str
    status: Literal["confirmed", "cancelled"]


class Event(Record):
    event_id: str
    title: str
    date: str
    start_time: str
    location: str


class Route(Record):
    route_id: str
    destination: str
    distance: float | None
    mode: str
    eta: str


RECORD_MODELS: dict[str, type[Record]] = {
    "airports": Airport,
    "places": Place,
    "weather": Forecast,
    "flights": Flight,
    "payment_methods": PaymentMethod,
    "bookings": Booking,
    "calendar": Event,
    "routes": Route,
}


def load_travel(path: str) -> State:
    return load_state(path, RECORD_MODELS)


def _haversine_km(a: dict, b: dict) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a["lat"], a["lon"], b["lat"], b["lon"]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _clock_add(start: str, minutes: float) -> str:
    h, m = map(int, start.split(":"))
    total = (h * 60 + m + round(minutes)) % (24 * 60)
    return f"{total // 60:02d}:{total % 60:02d}"


class TravelEnv(Environment):
    """A personal travel assistant: weather, flights, bookings, driving and the calendar."""

    name = "travel"
    tables = tuple(RECORD_MODELS)
    now_time = "09:00"

    # -- helpers ----------------------------------------------------------------------------------
    def _place(self, name: str) -> dict:
        key = name.strip().lower()
        for place in self.state["places"].values():
            if place["name"].lower() == key or place["city"].lower() == key:
                return place
        for airport in self.state["airports"].values():
            if airport["city"].lower() == key or airport["code"].lower() == key:
                return {"name": airport["city"], "city": airport["city"], "lat": airport["lat"], "lon": airport["lon"]}
        raise DomainError(f"Unknown place: {name}")

    def _road_km(self, from_loc: str, to_loc: str) -> float:
        # road distance ~ 1.25 x great-circle distance: a stable stand-in for a routing engine
        return round(_haversine_km(self._place(from_loc), self._place(to_loc)) * 1.25, 1)

    def _next_id(self, table: str, prefix: str) -> str:
        n = len(self.state[table]) + 1
        while f"{prefix}{n}" in self.state[table]:
            n += 1
        return f"{prefix}{n}"

    # -- tools ------------------------------------------------------------------------------------
    @tool("read")
    def get_weather(self, location: str, date: str = TODAY, unit: Literal["celsius", "fahrenheit"] = "celsius") -> dict:
        """Current weather and forecast for a location on a given day.

        Args:
            location: City or place name, e.g. 'New Delhi'.
            date: Day of the forecast, YYYY-MM-DD; today if omitted.
            unit: Temperature unit, 'celsius' or 'fahrenheit'.
        """
        city = self._place(location)["city"]
        forecast = self.state["weather"].get(f"{city}|{date}")
        if forecast is None:
            raise DomainError(f"No forecast for {city} on {date}")
        temp = forecast["temperature_c"] if unit == "celsius" else round(forecast["temperature_c"] * 9 / 5 + 32, 1)
        return {
            "location": city,
            "date": date,
            "temperature": temp,
            "unit": unit,
            "condition": forecast["condition"],
            "precipitation_chance": forecast["precipitation_chance"],
        }

    @tool("read")
    def get_airport_symbol_by_city(self, city: str, range_in_kms: int = 50) -> dict:
        """IATA codes of the airports near a city, within a search radius.

        Args:
            city: City name, e.g. 'Agra'.
            range_in_kms: Search radius around the city centre in kilometres.
        """
        centre = self._place(city)
        found = []
        for airport in self.state["airports"].values():
            distance = _haversine_km(centre, airport)
            if distance <= range_in_kms:
                found.append(
                    {"airport_symbol": airport["code"], "name": airport["name"], "distance_km": round(distance, 1)}
                )
        if not found:
            raise DomainError(f"No airport within {range_in_kms} km of {city}")
        return {"airports": sorted(found, key=lambda a: a["distance_km"])}

    @tool("read")
    def get_flight_by_airport(
        self, airport_symbol: str, date: str = TODAY, direction: Literal["arrivals", "departures"] = "arrivals"
    ) -> dict:
        """Flights landing at or departing from an airport on a date.

        Args:
            airport_symbol: IATA airport code, e.g. 'DEL'.
            date: Travel date, YYYY-MM-DD; today if omitted.
            direction: 'arrivals' or 'departures'.
        """
        if airport_symbol not in self.state["airports"]:
            raise DomainError(f"Unknown airport {airport_symbol}")
        side = "destination" if direction == "arrivals" else "origin"
        flights = [
            {
                "flight_number": f["flight_number"],
                "origin": f["origin"],
                "destination": f["destination"],
                "scheduled_time": f"{f['date']}T{f['arrival_time' if direction == 'arrivals' else 'departure_time']}",
            }
            for f in self.state["flights"].values()
            if f[side] == airport_symbol and f["date"] == date
        ]
        return {"flights": sorted(flights, key=lambda f: f["scheduled_time"])}

    @tool("read")
    def search_flights(self, origin: str, destination: str, date: str, cabin: Cabin = "economy") -> dict:
        """Search flights between two airports on a date with seat availability and fares.

        Args:
            origin: Origin IATA airport code.
            destination: Destination IATA airport code.
            date: Departure date, YYYY-MM-DD.
            cabin: Cabin class: 'economy', 'business' or 'first'.
        """
        for code in (origin, destination):
            if code not in self.state["airports"]:
                raise DomainError(f"Unknown airport {code}")
        found = [
            {
                "flight_number": f["flight_number"],
                "departure_time": f["departure_time"],
                "arrival_time": f["arrival_time"],
                "price": f["prices"][cabin],
                "seats_left": f["seats"][cabin],
            }
            for f in self.state["flights"].values()
            if f["origin"] == origin and f["destination"] == destination and f["date"] == date and f["seats"][cabin] > 0
        ]
        return {"flights": sorted(found, key=lambda f: f["departure_time"])}

    @tool("write")
    def book_flight(
        self,
        flight_number: str,
        passenger_name: str,
        destination: str,
        payment_method_id: str,
        date: str = "",
        cabin: Cabin = "economy",
    ) -> dict:
        """Book a seat on a flight for a passenger; charges the given payment method.

        Args:
            flight_number: Flight number to book, e.g. 'AI202'.
            passenger_name: Full name of the traveller.
            destination: Destination city of the trip.
            payment_method_id: Saved payment method to charge.
            date: Flight date, YYYY-MM-DD; needed when the flight number flies on several days.
            cabin: Cabin class: 'economy', 'business' or 'first'.
        """
        matches = [
            f
            for f in self.state["flights"].values()
            if f["flight_number"] == flight_number and (not date or f["date"] == date)
        ]
        if not matches:
            raise DomainError(f"Flight {flight_number} not found" + (f" on {date}" if date else ""))
        if len(matches) > 1:
            raise DomainError(f"Flight {flight_number} flies on several days; give the date")
        flight = matches[0]
        if self._place(destination)["city"] != self._place(flight["destination"])["city"]:
            raise DomainError(f"Flight {flight_number} does not go to {destination}")
        if flight["seats"][cabin] < 1:
            raise DomainError(f"No {cabin} seats left on {flight_number}")
        method = self.state["payment_methods"].get(payment_method_id)
        if method is None:
            raise DomainError(f"Payment method {payment_method_id} not found")
        price = flight["prices"][cabin]
        if method["kind"] == "travel_credit" and (method["balance"] or 0) < price:
            raise DomainError(f"Travel credit {payment_method_id} has {method['balance']:.2f}, the fare is {price:.2f}")
        key = f"{flight['flight_number']}@{flight['date']}"
        self.record_for_write("flights", key)["seats"][cabin] -= 1
        if method["kind"] == "travel_credit":
            self.record_for_write("payment_methods", payment_method_id)["balance"] = round(method["balance"] - price, 2)
        booking_id = self._next_id("bookings", "BK")
        booking = {
            "booking_id": booking_id,
            "flight_number": flight_number,
            "date": flight["date"],
            "passenger_name": passenger_name,
            "destination": self._place(flight["destination"])["city"],
            "cabin": cabin,
            "price": price,
            "payment_method_id": payment_method_id,
            "status": "confirmed",
        }
        self.insert("bookings", booking_id, booking)
        return {"booking_id": booking_id, "status": "confirmed", "total_price": price}

    @tool("write")
    def cancel_flight_booking(self, booking_id: str) -> dict:
        """Cancel a flight reservation and refund it to the original payment method.

        Args:
            booking_id: Reservation code returned when booking.
        """
        booking = self.state["bookings"].get(booking_id)
        if booking is None:
            raise DomainError(f"Booking {booking_id} not found")
        if booking["status"] == "cancelled":
            raise DomainError(f"Booking {booking_id} is already cancelled")
        if booking["date"] <= TODAY:
            raise DomainError("Flights departing today or earlier cannot be cancelled")
        booking = self.record_for_write("bookings", booking_id)
        booking["status"] = "cancelled"
        key = f"{booking['flight_number']}@{booking['date']}"
        if key in self.state["flights"]:
            self.record_for_write("flights", key)["seats"][booking["cabin"]] += 1
        method = self.state["payment_methods"].get(booking["payment_method_id"])
        if method and method["kind"] == "travel_credit":
            self.record_for_write("payment_methods", method["id"])["balance"] = round(
                method["balance"] + booking["price"], 2
            )
        return {"booking_id": booking_id, "refund_amount": booking["price"]}

    @tool("read")
    def get_distance(self, from_loc: str, to_loc: str) -> dict:
        """Driving distance between two places.

        Args:
            from_loc: Starting place or address.
            to_loc: Destination place or address.
        """
        km = self._road_km(from_loc, to_loc)
        return {"distance": km, "duration_minutes": round(km / 65 * 60)}

    @tool("write")
    def set_navigation(self, destination: str, distance: float | None = None) -> dict:
        """Start turn-by-turn navigation in the car for a trip of a given distance to a destination.

        Args:
            destination: Place or address to drive to.
            distance: Trip distance in kilometres, from a distance lookup.
        """
        place = self._place(destination)
        km = distance if distance is not None else self._road_km(self.state["places"]["home"]["name"], place["name"])
        return self._start_route(place["name"], km, "driving")

    @tool("write")
    def navigate(self, location: str, mode: Literal["driving", "walking", "transit"] = "driving") -> dict:
        """Open directions to a location in the maps app.

        Args:
            location: Address or place to go to.
            mode: Travel mode: 'driving', 'walking' or 'transit'.
        """
        place = self._place(location)
        km = self._road_km(self.state["places"]["home"]["name"], place["name"])
        return self._start_route(place["name"], km, mode)

    def _start_route(self, destination: str, km: float, mode: str) -> dict:
        speed = {"driving": 40.0, "walking": 5.0, "transit": 25.0}[mode]
        route_id = self._next_id("routes", "r-")
        eta = _clock_add(self.now_time, km / speed * 60)
        self.insert(
            "routes",
            route_id,
            {"route_id": route_id, "destination": destination, "distance": km, "mode": mode, "eta": eta},
        )
        return {"route_id": route_id, "eta": eta}

    @tool("read")
    def check_calendar(self, date: str) -> dict:
        """Events on the user's calendar for a day, each with its time and location.

        Args:
            date: Day to look at, YYYY-MM-DD.
        """
        events = [e for e in self.state["calendar"].values() if e["date"] == date]
        return {"events": sorted(events, key=lambda e: e["start_time"])}

    @tool("write")
    def create_calendar_event(self, title: str, date: str, start_time: str, location: str = "") -> dict:
        """Add an event to the user's calendar.

        Args:
            title: Event title.
            date: Day, YYYY-MM-DD.
            start_time: Start time, HH:MM.
            location: Where it takes place.
        """
        for e in self.state["calendar"].values():
            if e["date"] == date and e["start_time"] == start_time:
                raise DomainError(f"There is already an event at {start_time} on {date}: {e['title']}")
        event_id = self._next_id("calendar", "ev")
        self.insert(
            "calendar",
            event_id,
            {"event_id": event_id, "title": title, "date": date, "start_time": start_time, "location": location},
        )
        return {"event_id": event_id}

    @tool("write")
    def delete_calendar_event(self, event_id: str) -> dict:
        """Remove an event from the user's calendar.

        Args:
            event_id: Identifier of the event to remove.
        """
        if event_id not in self.state["calendar"]:
            raise DomainError(f"Event {event_id} not found")
        del self.state["calendar"][event_id]
        self._owned.discard(("calendar", event_id))
        return {"deleted": True}
