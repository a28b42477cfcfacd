"""BFCL's ``VehicleControlAPI``: a car's engine, doors, climate, brakes, cruise control and navigation.

Behaviour, messages and quirks follow bfcl-eval's class exactly (its checker compares results and public
state, and ``__eq__`` compares public attributes). Among the quirks kept on purpose: ``startEngine("STOP")``
stops the engine and then still runs every check, ending in "Invalid ignition mode."; the climate result
echoes the temperature as given, not as converted to Celsius; releasing the parking brake sets the slope
angle to 10; ``set_navigation`` stores the destination before building its message; and the seeded
generator is drawn from by the speed and outside-temperature readings in call order.
"""

from __future__ import annotations

import copy
import random
from typing import Any

from fcstudio.envs.bfcl import long_context as _long_context

_MAX_FUEL_LEVEL = 50
_MIN_FUEL_LEVEL = 0.0
_MILES_PER_GALLON = 20.0
_FULL_BRAKE_FORCE = 1000  # newtons at pedal position 1

_DEFAULT_SEED = 141053
_DEFAULT_DOORS: dict[str, str] = {
    "driver": "unlocked",
    "passenger": "unlocked",
    "rear_left": "unlocked",
    "rear_right": "unlocked",
}

# Zip-code pairs with a known distance (km), either way round; checked in this order with ``==``.
_DISTANCES: tuple[tuple[str, str, float], ...] = (
    ("83214", "74532", 750.0),
    ("56108", "62947", 320.0),
    ("71354", "83462", 450.0),
    ("47329", "52013", 290.0),
    ("69238", "51479", 630.0),
    ("94016", "83214", 980.0),
    ("94016", "94704", 600.0),
    ("94704", "08540", 2550.0),
    ("94016", "08540", 1950.0),
    ("62947", "47329", 1053.0),
    ("94016", "62947", 780.0),
    ("74532", "94016", 880.0),
)

_ZIPCODES: tuple[tuple[str, str], ...] = (
    ("Rivermist", "83214"),
    ("Stonebrook", "74532"),
    ("Maplecrest", "56108"),
    ("Silverpine", "62947"),
    ("Shadowridge", "71354"),
    ("Sunset Valley", "83462"),
    ("Oakendale", "47329"),
    ("Willowbend", "52013"),
    ("Crescent Hollow", "69238"),
    ("Autumnville", "51479"),
    ("San Francisco", "94016"),
)


class VehicleControlAPI:
    """One car's controls; every public attribute is part of the state BFCL's checker compares."""

    def __init__(self) -> None:
        # Declared only: BFCL's instance has none of these until a scenario is loaded.
        self.fuelLevel: float
        self.batteryVoltage: float
        self.engine_state: str
        self.remainingUnlockedDoors: int
        self.doorStatus: dict[str, str]
        self.acTemperature: float
        self.fanSpeed: int
        self.acMode: str
        self.humidityLevel: float
        self.headLightStatus: str
        self.parkingBrakeStatus: str
        self.brakePedalStatus: str
        self.distanceToNextVehicle: float
        self.cruiseStatus: str
        self.destination: str
        self.frontLeftTirePressure: float
        self.frontRightTirePressure: float
        self.rearLeftTirePressure: float
        self.rearRightTirePressure: float
        self.long_context: bool
        self._random: random.Random
        self._parkingBrakeForce: float
        self._slopeAngle: float
        self._brakePedalForce: float
        self._api_description = (
            "This tool belongs to the vehicle control system, which allows users to control various aspects of "
            "the car such as engine, doors, climate control, lights, and more."
        )

    def _load_scenario(self, scenario: dict, long_context: bool = False) -> None:
        """Take the scenario's values as they are (the caller already copied them); defaults are fresh copies.

        Attributes are set in BFCL's order, and the unlocked-door count is always recomputed from the doors,
        whatever the scenario says it is."""
        get = scenario.get
        self._random = random.Random(get("random_seed", _DEFAULT_SEED))
        self.fuelLevel = get("fuelLevel", 0.0)  # gallons
        self.batteryVoltage = get("batteryVoltage", 12.6)  # volts
        self.engine_state = get("engineState", "stopped")
        self.remainingUnlockedDoors = get("remainingUnlockedDoors", 4)
        self.doorStatus = get("doorStatus", copy.deepcopy(_DEFAULT_DOORS))
        locked = sum(1 for door in self.doorStatus.keys() if self.doorStatus[door] == "locked")
        self.remainingUnlockedDoors = 4 - locked
        self.acTemperature = get("acTemperature", 25.0)  # Celsius
        self.fanSpeed = get("fanSpeed", 50)
        self.acMode = get("acMode", "auto")
        self.humidityLevel = get("humidityLevel", 50.0)
        self.headLightStatus = get("headLightStatus", "off")
        self.parkingBrakeStatus = get("parkingBrakeStatus", "released")
        self._parkingBrakeForce = get("parkingBrakeForce", 0.0)  # newtons
        self._slopeAngle = get("slopeAngle", 0.0)  # degrees
        self.brakePedalStatus = get("brakePedalStatus", "released")
        self._brakePedalForce = get("brakePedalForce", 0.0)  # newtons
        self.distanceToNextVehicle = get("distanceToNextVehicle", 50.0)  # meters
        self.cruiseStatus = get("cruiseStatus", "inactive")
        self.destination = get("destination", "None")
        self.frontLeftTirePressure = get("frontLeftTirePressure", 32.0)
        self.frontRightTirePressure = get("frontRightTirePressure", 32.0)
        self.rearLeftTirePressure = get("rearLeftTirePressure", 30.0)
        self.rearRightTirePressure = get("rearRightTirePressure", 30.0)
        self.long_context = long_context

    def __eq__(self, other: object) -> bool:
        """Equal when every public attribute of ``self`` equals the same attribute of ``other``, as in BFCL."""
        if not isinstance(other, VehicleControlAPI):
            return False
        return all(getattr(self, name) == getattr(other, name) for name in list(vars(self)) if not name.startswith("_"))

    # engine and fuel

    def startEngine(self, ignitionMode: str) -> dict[str, Any]:
        """Start the engine once the doors are locked and the brake is fully pressed; "STOP" stops it first."""
        if ignitionMode == "STOP":
            self.engine_state = "stopped"
        if self.remainingUnlockedDoors > 0:
            unlocked = [door for door, status in self.doorStatus.items() if status == "unlocked"]
            return {
                "error": "All doors must be locked before starting the engine. Here are the unlocked doors: "
                + ", ".join(unlocked)
            }
        if self.brakePedalStatus != "pressed":
            return {"error": "Brake pedal needs to be pressed when starting the engine."}
        if self._brakePedalForce != 1000.0:
            return {"error": "Must press the brake fully before starting the engine."}
        if self.fuelLevel < _MIN_FUEL_LEVEL:
            return {"error": "Fuel tank is empty."}
        if ignitionMode != "START":
            return {"error": "Invalid ignition mode."}
        self.engine_state = "running"
        return {"engineState": self.engine_state, "fuelLevel": self.fuelLevel, "batteryVoltage": self.batteryVoltage}

    def fillFuelTank(self, fuelAmount: float) -> dict[str, Any]:
        """Add fuel (gallons), never past the tank's 50 gallons."""
        if fuelAmount < 0:
            return {"error": "Fuel amount cannot be negative."}
        if self.fuelLevel + fuelAmount > _MAX_FUEL_LEVEL:
            return {"error": "Cannot fill gas above the tank capacity."}
        if self.fuelLevel + fuelAmount < _MIN_FUEL_LEVEL:
            return {"error": "Fuel tank is empty. Min fuel level is 0 gallons."}
        self.fuelLevel += fuelAmount
        return {"fuelLevel": self.fuelLevel}

    def estimate_drive_feasibility_by_mileage(self, distance: float) -> dict[str, bool]:
        """Whether the fuel on board covers ``distance`` miles at 20 miles per gallon."""
        return {"canDrive": not self.fuelLevel * _MILES_PER_GALLON < distance}

    def liter_to_gallon(self, liter: float) -> dict[str, float]:
        """Liters in US gallons."""
        return {"gallon": liter * 0.264172}

    def gallon_to_liter(self, gallon: float) -> dict[str, float]:
        """US gallons in liters."""
        return {"liter": gallon * 3.78541}

    # doors, climate, lights

    def lockDoors(self, unlock: bool, door: list[str]) -> dict[str, Any]:
        """Lock (or unlock) the named doors one by one, counting only the doors that change."""
        target = "unlocked" if unlock else "locked"
        step = 1 if unlock else -1
        for name in door:
            if self.doorStatus[name] == target:
                continue
            self.doorStatus[name] = target
            self.remainingUnlockedDoors += step
        return {"lockStatus": target, "remainingUnlockedDoors": self.remainingUnlockedDoors}

    def adjustClimateControl(
        self, temperature: float, unit: str = "celsius", fanSpeed: int = 50, mode: str = "auto"
    ) -> dict[str, Any]:
        """Set temperature (stored in Celsius), fan speed and mode; the result repeats the temperature given."""
        if not (0 <= fanSpeed <= 100):
            return {"error": "Fan speed must be between 0 and 100."}
        self.acTemperature = temperature
        if unit == "fahrenheit":
            self.acTemperature = (temperature - 32) * 5 / 9
        self.fanSpeed = fanSpeed
        self.acMode = mode
        return {"currentACTemperature": temperature, "climateMode": mode, "humidityLevel": self.humidityLevel}

    def get_outside_temperature_from_google(self) -> dict[str, Any]:
        """A random reading in [-10, 40) C; the long-context variant adds it after a fortnight of weather."""
        reading = self._random.uniform(-10.0, 40.0)
        if self.long_context:
            return {**_long_context.get("LONG_WEATHER_EXTENSION"), "outsideTemperature": reading}
        return {"outsideTemperature": reading}

    def get_outside_temperature_from_weather_com(self) -> dict[str, Any]:
        """This source is always down."""
        return {"error": 404}

    def setHeadlights(self, mode: str) -> dict[str, str]:
        """Headlights on, or off for both "off" and "auto"."""
        if mode not in ["on", "off", "auto"]:
            return {"error": "Invalid headlight mode."}
        self.headLightStatus = "on" if mode == "on" else "off"
        return {"headlightStatus": self.headLightStatus}

    def displayCarStatus(self, option: str) -> dict[str, Any]:
        """One group of readings; long-context results start with the car's metadata."""
        status: dict[str, Any] = {}
        if self.long_context:
            status["metadata"] = _long_context.get("CAR_STATUS_METADATA_EXTENSION")
        if option == "fuel":
            status["fuelLevel"] = self.fuelLevel
        elif option == "battery":
            status["batteryVoltage"] = self.batteryVoltage
        elif option == "doors":
            status["doorStatus"] = self.doorStatus
        elif option == "climate":
            status["currentACTemperature"] = self.acTemperature
            status["fanSpeed"] = self.fanSpeed
            status["climateMode"] = self.acMode
            status["humidityLevel"] = self.humidityLevel
        elif option == "headlights":
            status["headlightStatus"] = self.headLightStatus
        elif option == "parkingBrake":
            status["parkingBrakeStatus"] = self.parkingBrakeStatus
            status["parkingBrakeForce"] = self._parkingBrakeForce
            status["slopeAngle"] = self._slopeAngle
        elif option == "brakePedal":
            status["brakePedalStatus"] = self.brakePedalStatus
            status["brakePedalForce"] = self._brakePedalForce
        elif option == "engine":
            status["engineState"] = self.engine_state
        else:
            status["error"] = "Invalid option"
        return status

    # brakes and cruise control

    def activateParkingBrake(self, mode: str) -> dict[str, Any]:
        """Engage (500 N) or release (0 N) the parking brake; either way the slope reads 10 degrees."""
        if mode not in ["engage", "release"]:
            return {"error": "Invalid mode"}
        status, force = ("engaged", 500.0) if mode == "engage" else ("released", 0.0)
        self.parkingBrakeStatus = status
        self._parkingBrakeForce = force
        self._slopeAngle = 10.0
        result: dict[str, Any] = {}
        if self.long_context:
            result["parkingBrakeInstruction"] = _long_context.get("PARKING_BRAKE_INSTRUCTION")
        result.update({"parkingBrakeStatus": status, "_parkingBrakeForce": force, "_slopeAngle": 10.0})
        return result

    def pressBrakePedal(self, pedalPosition: float) -> dict[str, Any]:
        """Press the pedal to a position in [0, 1] (force scales to 1000 N); position 0 releases it."""
        if not (0 <= pedalPosition <= 1):
            return {"error": "Pedal position must be between 0 and 1."}
        if pedalPosition == 0:
            return self.releaseBrakePedal()
        force = pedalPosition * _FULL_BRAKE_FORCE
        self.brakePedalStatus = "pressed"
        self._brakePedalForce = force
        return {"brakePedalStatus": "pressed", "brakePedalForce": float(force)}

    def releaseBrakePedal(self) -> dict[str, Any]:
        """Let the brake pedal go."""
        self.brakePedalStatus = "released"
        self._brakePedalForce = 0.0
        return {"brakePedalStatus": "released", "brakePedalForce": 0.0}

    def setCruiseControl(self, speed: float, activate: bool, distanceToNextVehicle: float) -> dict[str, Any]:
        """Turn cruise control on (speed 0-120, a multiple of 5) or off; the engine must be running.

        The following distance is stored even when the speed is then refused."""
        distanceToNextVehicle = float(distanceToNextVehicle)
        speed = float(speed)
        if self.engine_state == "stopped":
            return {"error": "Start the engine before activating the cruise control."}
        self.distanceToNextVehicle = distanceToNextVehicle
        if activate:
            if speed < 0 or speed > 120 or speed % 5 != 0:
                return {"error": "Invalid speed"}
            self.cruiseStatus = "active"
        else:
            self.cruiseStatus = "inactive"
        return {
            "cruiseStatus": self.cruiseStatus,
            "currentSpeed": speed,
            "distanceToNextVehicle": distanceToNextVehicle,
        }

    def get_current_speed(self) -> dict[str, float]:
        """A random speed in [0, 120)."""
        return {"currentSpeed": self._random.uniform(0.0, 120.0)}

    # navigation, tires, log

    def display_log(self, messages: list[str]) -> dict[str, Any]:
        """Echo the messages."""
        return {"log": messages}

    def estimate_distance(self, cityA: str, cityB: str) -> dict[str, Any]:
        """The distance between two known zip codes; long-context results add a long list of towns between."""
        result: dict[str, Any] = {"error": "distance not found in database."}
        for first, second, km in _DISTANCES:
            if (cityA == first and cityB == second) or (cityA == second and cityB == first):
                result = {"distance": km}
                break
        if self.long_context:
            result["intermediaryCities"] = _long_context.get("INTERMEDIARY_CITIES")
        return result

    def get_zipcode_based_on_city(self, city: str) -> dict[str, str]:
        """A known city's zip code, "00000" for any other."""
        return {"zipcode": next((code for name, code in _ZIPCODES if city == name), "00000")}

    def set_navigation(self, destination: str) -> dict[str, str]:
        """Navigate to ``destination`` (stored before the message is built, so a non-string still sticks)."""
        self.destination = destination
        return {"status": "Navigating to " + destination}

    def check_tire_pressure(self) -> dict[str, Any]:
        """The four pressures and whether their mean is within 30-35 psi; long-context adds car metadata."""
        mean = (
            self.frontLeftTirePressure
            + self.frontRightTirePressure
            + self.rearLeftTirePressure
            + self.rearRightTirePressure
        ) / 4
        car_info: Any = _long_context.get("CAR_STATUS_METADATA_EXTENSION") if self.long_context else {}
        return {
            "frontLeftTirePressure": self.frontLeftTirePressure,
            "frontRightTirePressure": self.frontRightTirePressure,
            "rearLeftTirePressure": self.rearLeftTirePressure,
            "rearRightTirePressure": self.rearRightTirePressure,
            "healthy_tire_pressure": 30 <= mean <= 35,
            "car_info": car_info,
        }

    def find_nearest_tire_shop(self) -> dict[str, str]:
        """Always the same shop."""
        return {"shopLocation": "456 Oakwood Avenue, Rivermist, 83214"}
