"""The airline domain, compatible with tau2-bench's: same tools, arguments, outputs, errors and state changes.

State = tau2's airline ``db.json`` (tables ``flights``, ``users``, ``reservations``) normalised through
the record models below (tau2's fields, order and numeric types, so outputs and the DB hash match).
The clock is tau2's fixed "2024-05-15T15:00:00"; new ids are tau2's fixed sequences.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from fcstudio.envs.base import DomainError, Environment, State, tool
from fcstudio.envs.common_tools import CommonTools
from fcstudio.envs.loading import load_state
from fcstudio.envs.records import Address, CreditCard, PersonName, Record

Cabin = Literal["business", "economy", "basic_economy"]
NOW = "2024-05-15T15:00:00"
NEW_RESERVATION_IDS = ("HATHAT", "HATHAU", "HATHAV")
NEW_CERTIFICATE_NUMBERS = (3221322, 3221323, 3221324)
AIRPORTS = [
    ("SFO", "San Francisco"),
    ("JFK", "New York"),
    ("LAX", "Los Angeles"),
    ("ORD", "Chicago"),
    ("DFW", "Dallas"),
    ("DEN", "Denver"),
    ("SEA", "Seattle"),
    ("ATL", "Atlanta"),
    ("MIA", "Miami"),
    ("BOS", "Boston"),
    ("PHX", "Phoenix"),
    ("IAH", "Houston"),
    ("LAS", "Las Vegas"),
    ("MCO", "Orlando"),
    ("EWR", "Newark"),
    ("CLT", "Charlotte"),
    ("MSP", "Minneapolis"),
    ("DTW", "Detroit"),
    ("PHL", "Philadelphia"),
    ("LGA", "LaGuardia"),
]


class GiftCard(Record):
    source: Literal["gift_card"]
    id: str
    amount: float


class Certificate(Record):
    source: Literal["certificate"]
    id: str
    amount: float


class Passenger(BaseModel):
    """A traveller: extra keys given by a model are dropped, as tau2 does."""

    first_name: str
    last_name: str
    dob: str


class User(Record):
    user_id: str
    name: PersonName
    address: Address
    email: str
    dob: str
    payment_methods: dict[str, CreditCard | GiftCard | Certificate]
    saved_passengers: list[Passenger]
    membership: Literal["gold", "silver", "regular"]
    reservations: list[str]


class Available(Record):
    status: Literal["available"]
    available_seats: dict[Cabin, int]
    prices: dict[Cabin, int]


class OnTime(Record):
    status: Literal["on time"]
    estimated_departure_time_est: str
    estimated_arrival_time_est: str


class Flying(Record):
    status: Literal["flying"]
    actual_departure_time_est: str
    estimated_arrival_time_est: str


class Landed(Record):
    status: Literal["landed"]
    actual_departure_time_est: str
    actual_arrival_time_est: str


class Cancelled(Record):
    status: Literal["cancelled"]


class Delayed(Record):
    status: Literal["delayed"]
    estimated_departure_time_est: str
    estimated_arrival_time_est: str


class Flight(Record):
    flight_number: str
    origin: str
    destination: str
    scheduled_departure_time_est: str
    scheduled_arrival_time_est: str
    dates: dict[str, Available | Landed | Cancelled | Delayed | Flying | OnTime]


class ReservationFlight(Record):
    flight_number: str
    origin: str
    destination: str
    date: str
    price: int


class Payment(BaseModel):
    """A payment line: ``amount`` in whole dollars (negative for a refund)."""

    payment_id: str
    amount: int


class FlightInfo(BaseModel):
    """One flight segment to book or keep."""

    flight_number: str
    date: str


class Reservation(Record):
    reservation_id: str
    user_id: str
    origin: str
    destination: str
    flight_type: Literal["round_trip", "one_way"]
    cabin: Cabin
    flights: list[ReservationFlight]
    passengers: list[Passenger]
    payment_history: list[Payment]
    created_at: str
    total_baggages: int
    nonfree_baggages: int
    insurance: Literal["yes", "no"]
    status: Literal["cancelled"] | None = None


RECORD_MODELS: dict[str, type[Record]] = {"flights": Flight, "users": User, "reservations": Reservation}


def load_airline(path: str) -> State:
    """Load and normalise a tau2 airline ``db.json``; errors name the table and record."""
    return load_state(path, RECORD_MODELS)


class AirlineEnv(CommonTools, Environment):
    """Airline customer service: bookings, changes, cancellations, baggage and compensation."""

    name = "airline"
    tables = ("flights", "users", "reservations")

    def _user(self, user_id: str) -> dict:
        if user_id not in self.state["users"]:
            raise DomainError(f"User {user_id} not found")
        return self.state["users"][user_id]

    def _reservation(self, reservation_id: str) -> dict:
        if reservation_id not in self.state["reservations"]:
            raise DomainError(f"Reservation {reservation_id} not found")
        return self.state["reservations"][reservation_id]

    def _flight(self, flight_number: str) -> dict:
        if flight_number not in self.state["flights"]:
            raise DomainError(f"Flight {flight_number} not found")
        return self.state["flights"][flight_number]

    def _flight_on(self, flight_number: str, date: str) -> dict:
        flight = self._flight(flight_number)
        if date not in flight["dates"]:
            raise DomainError(f"Flight {flight_number} not found on date {date}")
        return flight["dates"][date]

    def _direct(
        self, date: str, origin: str | None, destination: str | None, leave_after: str | None = None
    ) -> list[dict]:
        found = []
        for f in self.state["flights"].values():
            day = f["dates"].get(date)
            if (
                (origin is None or f["origin"] == origin)
                and (destination is None or f["destination"] == destination)
                and day is not None
                and day["status"] == "available"
                and (leave_after is None or f["scheduled_departure_time_est"] >= leave_after)
            ):
                found.append(
                    {
                        "flight_number": f["flight_number"],
                        "origin": f["origin"],
                        "destination": f["destination"],
                        "status": "available",
                        "scheduled_departure_time_est": f["scheduled_departure_time_est"],
                        "scheduled_arrival_time_est": f["scheduled_arrival_time_est"],
                        "date": None,
                        "available_seats": dict(day["available_seats"]),
                        "prices": dict(day["prices"]),
                    }
                )
        return found

    def _charge_for_update(self, user_id: str, payment_id: str, total_price: int) -> dict | None:
        """Check and take an update's payment; a payment line unless the price is 0."""
        user = self.state["users"][user_id]
        if payment_id not in user["payment_methods"]:
            raise DomainError("Payment method not found")
        method = user["payment_methods"][payment_id]
        if method["source"] == "certificate":
            raise DomainError("Certificate cannot be used to update reservation")
        if method["source"] == "gift_card" and method["amount"] < total_price:
            raise DomainError("Gift card balance is not enough")
        if method["source"] == "gift_card":
            self.record_for_write("users", user_id)["payment_methods"][payment_id]["amount"] -= total_price
        return None if total_price == 0 else {"payment_id": payment_id, "amount": total_price}

    # -- tools ------------------------------------------------------------------------------------
    @tool("write")
    def book_reservation(
        self,
        user_id: str,
        origin: str,
        destination: str,
        flight_type: Literal["round_trip", "one_way"],
        cabin: Cabin,
        flights: list[FlightInfo],
        passengers: list[Passenger],
        payment_methods: list[Payment],
        total_baggages: int,
        nonfree_baggages: int,
        insurance: Literal["yes", "no"],
    ) -> dict:
        """Book a reservation.

        Args:
            user_id: The ID of the user to book the reservation such as 'sara_doe_496'`.
            origin: The IATA code for the origin city such as 'SFO'.
            destination: The IATA code for the destination city such as 'JFK'.
            flight_type: The type of flight such as 'one_way' or 'round_trip'.
            cabin: The cabin class such as 'basic_economy', 'economy', or 'business'.
            flights: An array of objects containing details about each piece of flight.
            passengers: An array of objects containing details about each passenger.
            payment_methods: An array of objects containing details about each payment method.
            total_baggages: The total number of baggage items to book the reservation.
            nonfree_baggages: The number of non-free baggage items to book the reservation.
            insurance: Whether the reservation has insurance.
        """
        user = self._user(user_id)
        reservation_id = next((r for r in NEW_RESERVATION_IDS if r not in self.state["reservations"]), None)
        if reservation_id is None:
            raise DomainError("Too many reservations")
        booked, days, total_price = [], [], 0
        for info in flights:
            flight = self._flight(info.flight_number)
            day = self._flight_on(info.flight_number, info.date)
            if day["status"] != "available":
                raise DomainError(f"Flight {info.flight_number} not available on date {info.date}")
            if day["available_seats"][cabin] < len(passengers):
                raise DomainError(f"Not enough seats on flight {info.flight_number}")
            price = day["prices"][cabin]
            booked.append(
                {
                    "flight_number": info.flight_number,
                    "origin": flight["origin"],
                    "destination": flight["destination"],
                    "date": info.date,
                    "price": price,
                }
            )
            days.append((info.flight_number, info.date))
            total_price += price * len(passengers)
        if insurance == "yes":
            total_price += 30 * len(passengers)
        total_price += 50 * nonfree_baggages
        for pay in payment_methods:
            if pay.payment_id not in user["payment_methods"]:
                raise DomainError(f"Payment method {pay.payment_id} not found")
            method = user["payment_methods"][pay.payment_id]
            if method["source"] in ("gift_card", "certificate") and method["amount"] < pay.amount:
                raise DomainError(f"Not enough balance in payment method {pay.payment_id}")
        paid = sum(p.amount for p in payment_methods)
        if paid != total_price:
            raise DomainError(f"Payment amount does not add up, total price is {total_price}, but paid {paid}")
        user = self.record_for_write("users", user_id)
        for pay in payment_methods:
            method = user["payment_methods"].get(pay.payment_id)
            if method is None:  # a certificate used twice in one booking was removed by its first use
                continue
            if method["source"] == "gift_card":
                method["amount"] -= pay.amount
            elif method["source"] == "certificate":
                user["payment_methods"].pop(pay.payment_id)
        for flight_number, date in days:
            self.record_for_write("flights", flight_number)["dates"][date]["available_seats"][cabin] -= len(passengers)
        reservation = {
            "reservation_id": reservation_id,
            "user_id": user_id,
            "origin": origin,
            "destination": destination,
            "flight_type": flight_type,
            "cabin": cabin,
            "flights": booked,
            "passengers": [p.model_dump() for p in passengers],
            "payment_history": [p.model_dump() for p in payment_methods],
            "created_at": NOW,
            "total_baggages": total_baggages,
            "nonfree_baggages": nonfree_baggages,
            "insurance": insurance,
            "status": None,
        }
        self.insert("reservations", reservation_id, reservation)
        user["reservations"].append(reservation_id)
        return reservation

    @tool("write")
    def cancel_reservation(self, reservation_id: str) -> dict:
        """Cancel the whole reservation.

        Args:
            reservation_id: The reservation ID, such as 'ZFA04Y'.
        """
        self._reservation(reservation_id)
        reservation = self.record_for_write("reservations", reservation_id)
        refunds = [{"payment_id": p["payment_id"], "amount": -p["amount"]} for p in reservation["payment_history"]]
        reservation["payment_history"].extend(refunds)
        reservation["status"] = "cancelled"  # tau2 releases no seats on cancellation
        return reservation

    @tool("read")
    def get_reservation_details(self, reservation_id: str) -> dict:
        """Get the details of a reservation.

        Args:
            reservation_id: The reservation ID, such as '8JX2WO'.
        """
        return self._reservation(reservation_id)

    @tool("read")
    def get_user_details(self, user_id: str) -> dict:
        """Get the details of a user, including their reservations.

        Args:
            user_id: The user ID, such as 'sara_doe_496'.
        """
        return self._user(user_id)

    @tool("read")
    def list_all_airports(self) -> list:
        """Returns a list of all available airports."""
        return [{"iata": code, "city": city} for code, city in AIRPORTS]

    @tool("read")
    def search_direct_flight(self, origin: str, destination: str, date: str) -> list:
        """Search for direct flights between two cities on a specific date.

        Args:
            origin: The origin city airport in three letters, such as 'JFK'.
            destination: The destination city airport in three letters, such as 'LAX'.
            date: The date of the flight in the format 'YYYY-MM-DD', such as '2024-01-01'.
        """
        return self._direct(date, origin, destination)

    @tool("read")
    def search_onestop_flight(self, origin: str, destination: str, date: str) -> list:
        """Search for one-stop flights between two cities on a specific date.

        Args:
            origin: The origin city airport in three letters, such as 'JFK'.
            destination: The destination city airport in three letters, such as 'LAX'.
            date: The date of the flight in the format 'YYYY-MM-DD', such as '2024-05-01'.
        """
        pairs = []
        for first in self._direct(date, origin, None):
            first["date"] = date
            # tau2's next-day rule (May 2024 only, no zero padding): kept so results match
            date2 = f"2024-05-{int(date[-2:]) + 1}" if "+1" in first["scheduled_arrival_time_est"] else date
            for second in self._direct(date2, first["destination"], destination, first["scheduled_arrival_time_est"]):
                second["date"] = date2
                pairs.append([first, second])
        return pairs

    @tool("write")
    def send_certificate(self, user_id: str, amount: int) -> str:
        """Send a certificate to a user. Be careful!

        Args:
            user_id: The ID of the user to book the reservation, such as 'sara_doe_496'.
            amount: The amount of the certificate to send.
        """
        self._user(user_id)
        user = self.record_for_write("users", user_id)
        for number in NEW_CERTIFICATE_NUMBERS:
            payment_id = f"certificate_{number}"
            if payment_id not in user["payment_methods"]:
                user["payment_methods"][payment_id] = {
                    "source": "certificate",
                    "id": payment_id,
                    "amount": float(amount),
                }
                return f"Certificate {payment_id} added to user {user_id} with amount {amount}."
        raise DomainError("Too many certificates")

    @tool("write")
    def update_reservation_baggages(
        self, reservation_id: str, total_baggages: int, nonfree_baggages: int, payment_id: str
    ) -> dict:
        """Update the baggage information of a reservation.

        Args:
            reservation_id: The reservation ID, such as 'ZFA04Y'
            total_baggages: The updated total number of baggage items included in the reservation.
            nonfree_baggages: The updated number of non-free baggage items included in the reservation.
            payment_id: The payment id stored in user profile, such as 'credit_card_7815826', 'gift_card_7815826', 'certificate_7815826'.
        """
        reservation = self._reservation(reservation_id)
        self._user(reservation["user_id"])
        total_price = 50 * max(0, nonfree_baggages - reservation["nonfree_baggages"])
        payment = self._charge_for_update(reservation["user_id"], payment_id, total_price)
        reservation = self.record_for_write("reservations", reservation_id)
        if payment is not None:
            reservation["payment_history"].append(payment)
        reservation["total_baggages"] = total_baggages
        reservation["nonfree_baggages"] = nonfree_baggages
        return reservation

    @tool("write")
    def update_reservation_flights(
        self, reservation_id: str, cabin: Cabin, flights: list[FlightInfo], payment_id: str
    ) -> dict:
        """Update the flight information of a reservation.

        Args:
            reservation_id: The reservation ID, such as 'ZFA04Y'.
            cabin: The cabin class of the reservation
            flights: An array of objects containing details about each piece of flight in the ENTIRE new reservation. Even if the a flight segment is not changed, it should still be included in the array.
            payment_id: The payment id stored in user profile, such as 'credit_card_7815826', 'gift_card_7815826', 'certificate_7815826'.
        """
        reservation = self._reservation(reservation_id)
        self._user(reservation["user_id"])
        n = len(reservation["passengers"])
        total_price, new_flights = 0, []
        for info in flights:
            kept = next(
                (
                    f
                    for f in reservation["flights"]
                    if f["flight_number"] == info.flight_number
                    and f["date"] == info.date
                    and cabin == reservation["cabin"]
                ),
                None,
            )
            if kept is not None:
                total_price += kept["price"] * n
                new_flights.append(kept)
                continue
            flight = self._flight(info.flight_number)
            day = self._flight_on(info.flight_number, info.date)
            if day["status"] != "available":
                raise DomainError(f"Flight {info.flight_number} not available on date {info.date}")
            if day["available_seats"][cabin] < n:
                raise DomainError(f"Not enough seats on flight {info.flight_number}")
            segment = {
                "flight_number": info.flight_number,
                "origin": flight["origin"],
                "destination": flight["destination"],
                "date": info.date,
                "price": day["prices"][cabin],
            }
            total_price += segment["price"] * n
            new_flights.append(segment)
        total_price -= sum(f["price"] for f in reservation["flights"]) * n
        payment = self._charge_for_update(reservation["user_id"], payment_id, total_price)
        reservation = self.record_for_write("reservations", reservation_id)
        if payment is not None:
            reservation["payment_history"].append(payment)
        reservation["flights"] = [dict(f) for f in new_flights]
        reservation["cabin"] = cabin  # seats are not moved on a change, as in tau2
        return reservation

    @tool("write")
    def update_reservation_passengers(self, reservation_id: str, passengers: list[Passenger]) -> dict:
        """Update the passenger information of a reservation.

        Args:
            reservation_id: The reservation ID, such as 'ZFA04Y'.
            passengers: An array of objects containing details about each passenger.
        """
        reservation = self._reservation(reservation_id)
        if len(passengers) != len(reservation["passengers"]):
            raise DomainError("Number of passengers does not match")
        reservation = self.record_for_write("reservations", reservation_id)
        reservation["passengers"] = [p.model_dump() for p in passengers]
        return reservation

    @tool("read")
    def get_flight_status(self, flight_number: str, date: str) -> str:
        """Get the status of a flight.

        Args:
            flight_number: The flight number.
            date: The date of the flight.
        """
        return self._flight_on(flight_number, date)["status"]
