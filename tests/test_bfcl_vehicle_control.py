"""BFCL's VehicleControlAPI as fcstudio re-implements it: state loading (defaults, the recomputed door count,
long-context extensions), results as BFCL renders them, the seeded readings, ``__eq__`` and BFCL's quirks
(``startEngine("STOP")`` still runs every check, the climate result echoes the unconverted temperature,
state changed before an error is raised)."""

from __future__ import annotations

import inspect

import pytest

from fcstudio.envs.bfcl import long_context
from fcstudio.envs.bfcl.classes import func_docs, public_methods
from fcstudio.envs.bfcl.session import Session, public_state, render
from fcstudio.envs.bfcl.vehicle_control import VehicleControlAPI

LOCKED = {"driver": "locked", "passenger": "locked", "rear_left": "locked", "rear_right": "locked"}


def loaded(long: bool = False, **scenario: object) -> VehicleControlAPI:
    api = VehicleControlAPI()
    api._load_scenario(scenario, long_context=long)
    return api


def session(**scenario: object) -> Session:
    return Session({"VehicleControlAPI": scenario}, ["VehicleControlAPI"], long_context=False)


def test_methods_and_signatures_match_the_function_docs() -> None:
    docs = {d["name"]: d for d in func_docs("VehicleControlAPI")}
    assert public_methods(VehicleControlAPI) == sorted(docs)
    for name, doc in docs.items():
        params = list(inspect.signature(getattr(VehicleControlAPI, name)).parameters)[1:]
        assert params == list(doc["parameters"]["properties"]), name
    defaults = inspect.signature(VehicleControlAPI.adjustClimateControl).parameters
    assert [p.default for p in list(defaults.values())[2:]] == ["celsius", 50, "auto"]
    assert session().run("startEngine(x=1)") == (
        "Error during execution: VehicleControlAPI.startEngine() got an unexpected keyword argument 'x'"
    )


def test_defaults() -> None:
    api = loaded()
    assert public_state(api) == {
        "fuelLevel": 0.0,
        "batteryVoltage": 12.6,
        "engine_state": "stopped",
        "remainingUnlockedDoors": 4,
        "doorStatus": {
            "driver": "unlocked",
            "passenger": "unlocked",
            "rear_left": "unlocked",
            "rear_right": "unlocked",
        },
        "acTemperature": 25.0,
        "fanSpeed": 50,
        "acMode": "auto",
        "humidityLevel": 50.0,
        "headLightStatus": "off",
        "parkingBrakeStatus": "released",
        "brakePedalStatus": "released",
        "distanceToNextVehicle": 50.0,
        "cruiseStatus": "inactive",
        "destination": "None",
        "frontLeftTirePressure": 32.0,
        "frontRightTirePressure": 32.0,
        "rearLeftTirePressure": 30.0,
        "rearRightTirePressure": 30.0,
        "long_context": False,
    }
    assert list(public_state(api))[:5] == [
        "fuelLevel",
        "batteryVoltage",
        "engine_state",
        "remainingUnlockedDoors",
        "doorStatus",
    ]
    assert (api._parkingBrakeForce, api._slopeAngle, api._brakePedalForce) == (0.0, 0.0, 0.0)
    api.doorStatus["driver"] = "locked"
    assert loaded().doorStatus["driver"] == "unlocked"  # each load gets fresh defaults
    assert not hasattr(VehicleControlAPI(), "fuelLevel")  # nothing public before a scenario is loaded


def test_scenario_keys_and_recomputed_door_count() -> None:
    doors = {"driver": "locked", "passenger": "unlocked"}
    api = loaded(engineState="running", doorStatus=doors, remainingUnlockedDoors=0, brakePedalForce=7.0, slopeAngle=3.0)
    assert api.engine_state == "running" and api.doorStatus is doors  # the scenario's own object
    assert api.remainingUnlockedDoors == 3  # 4 minus the locked doors, whatever the scenario said
    assert (api._brakePedalForce, api._slopeAngle) == (7.0, 3.0)
    with pytest.raises(AttributeError):
        loaded(doorStatus=["driver"])


def test_seeded_readings_in_call_order() -> None:
    api = loaded()
    assert api.get_current_speed() == {"currentSpeed": 111.92365689097284}
    assert api.get_outside_temperature_from_google() == {"outsideTemperature": 31.29968928699752}
    assert api.get_current_speed() == {"currentSpeed": 44.51081620775468}
    assert loaded(random_seed=7).get_current_speed() == {"currentSpeed": 38.85993177997948}
    assert api.get_outside_temperature_from_weather_com() == {"error": 404}


def test_long_context_extensions() -> None:
    api = loaded(long=True, random_seed=7)
    weather = api.get_outside_temperature_from_google()
    assert (
        list(weather)[-2:] == ["-15_day", "outsideTemperature"] and weather["outsideTemperature"] == 6.191638241658119
    )
    assert "outsideTemperature" not in long_context.get("LONG_WEATHER_EXTENSION")  # the shared data stays as it was
    metadata = long_context.get("CAR_STATUS_METADATA_EXTENSION")
    assert list(api.displayCarStatus("fuel")) == ["metadata", "fuelLevel"]
    assert api.check_tire_pressure()["car_info"] == metadata
    brake = api.activateParkingBrake("release")
    assert list(brake) == ["parkingBrakeInstruction", "parkingBrakeStatus", "_parkingBrakeForce", "_slopeAngle"]
    assert brake["parkingBrakeInstruction"] == long_context.get("PARKING_BRAKE_INSTRUCTION")
    distance = api.estimate_distance("1", "2")
    assert distance["error"] == "distance not found in database."
    assert distance["intermediaryCities"] == long_context.get("INTERMEDIARY_CITIES")


def test_start_engine_checks_and_stop_quirk() -> None:
    s = session()
    assert s.run("startEngine(ignitionMode='START')") == (
        '{"error": "All doors must be locked before starting the engine. Here are the unlocked doors: '
        'driver, passenger, rear_left, rear_right"}'
    )
    api = loaded(doorStatus=dict(LOCKED), fuelLevel=10.5, engineState="running")
    assert api.startEngine("START") == {"error": "Brake pedal needs to be pressed when starting the engine."}
    assert api.pressBrakePedal(0.5) == {"brakePedalStatus": "pressed", "brakePedalForce": 500.0}
    assert api.startEngine("START") == {"error": "Must press the brake fully before starting the engine."}
    assert api.engine_state == "running"
    api.pressBrakePedal(1)
    assert api.startEngine("STOP") == {"error": "Invalid ignition mode."} and api.engine_state == "stopped"
    assert render(api.startEngine("START")) == '{"engineState": "running", "fuelLevel": 10.5, "batteryVoltage": 12.6}'
    assert api.pressBrakePedal(0) == {"brakePedalStatus": "released", "brakePedalForce": 0.0}
    assert api.pressBrakePedal(2) == {"error": "Pedal position must be between 0 and 1."}


def test_doors_climate_and_lights() -> None:
    s = session()
    assert s.run("lockDoors(unlock=False, door=['driver', 'trunk'])") == "Error during execution: 'trunk'"
    assert s.instances["VehicleControlAPI"].doorStatus["driver"] == "locked"  # changed before the KeyError
    api = loaded()
    assert api.lockDoors(False, ["driver", "driver", "passenger"]) == {
        "lockStatus": "locked",
        "remainingUnlockedDoors": 2,
    }
    assert api.lockDoors(True, ["rear_left", "driver"]) == {"lockStatus": "unlocked", "remainingUnlockedDoors": 3}
    assert api.adjustClimateControl(77, "fahrenheit") == {
        "currentACTemperature": 77,
        "climateMode": "auto",
        "humidityLevel": 50.0,
    }
    assert api.acTemperature == 25.0
    assert api.adjustClimateControl(20, fanSpeed=101) == {"error": "Fan speed must be between 0 and 100."}
    assert api.setHeadlights("auto") == {"headlightStatus": "off"} and api.setHeadlights("dim") == {
        "error": "Invalid headlight mode."
    }
    assert api.displayCarStatus("x") == {"error": "Invalid option"}
    assert api.displayCarStatus("parkingBrake") == {
        "parkingBrakeStatus": "released",
        "parkingBrakeForce": 0.0,
        "slopeAngle": 0.0,
    }
    assert api.activateParkingBrake("release")["_slopeAngle"] == 10.0  # releasing sets the slope too
    assert api.activateParkingBrake("hold") == {"error": "Invalid mode"}


def test_fuel_cruise_and_navigation() -> None:
    api = loaded(fuelLevel=45.0)
    assert api.fillFuelTank(-1) == {"error": "Fuel amount cannot be negative."}
    assert api.fillFuelTank(6) == {"error": "Cannot fill gas above the tank capacity."}
    assert api.fillFuelTank(5) == {"fuelLevel": 50.0}
    assert api.estimate_drive_feasibility_by_mileage(1000) == {"canDrive": True}
    assert api.estimate_drive_feasibility_by_mileage(1001) == {"canDrive": False}
    assert render(api.liter_to_gallon(10)) == '{"gallon": 2.6417200000000003}'
    assert api.gallon_to_liter(2) == {"liter": 7.57082}
    assert api.setCruiseControl(65, True, 100) == {"error": "Start the engine before activating the cruise control."}
    api.engine_state = "running"
    assert api.setCruiseControl(62, True, "30") == {"error": "Invalid speed"}  # type: ignore[arg-type]
    assert (api.distanceToNextVehicle, api.cruiseStatus) == (30.0, "inactive")  # stored before the speed check
    assert api.setCruiseControl("60", True, 40) == {  # type: ignore[arg-type]
        "cruiseStatus": "active",
        "currentSpeed": 60.0,
        "distanceToNextVehicle": 40.0,
    }
    assert api.estimate_distance("74532", "83214") == {"distance": 750.0}
    assert api.get_zipcode_based_on_city("Silverpine") == {"zipcode": "62947"}
    assert api.get_zipcode_based_on_city(["x"]) == {"zipcode": "00000"}  # type: ignore[arg-type]
    s = session()
    assert (
        s.run("set_navigation(destination=5)") == 'Error during execution: can only concatenate str (not "int") to str'
    )
    assert s.instances["VehicleControlAPI"].destination == 5  # stored before the message failed
    tires = loaded(frontLeftTirePressure=50.0).check_tire_pressure()
    assert tires["healthy_tire_pressure"] is False and tires["car_info"] == {}


def test_equality_compares_public_attributes_only() -> None:
    a, b = loaded(), loaded()
    assert a == b
    b._brakePedalForce = 99.0
    assert a == b
    b.fanSpeed = 10
    assert a != b
    assert a != "car"
    with pytest.raises(TypeError):
        hash(a)
