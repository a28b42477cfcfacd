"""The user's side of telecom: tools on the phone in the user's hand (``user_db``: device and surroundings).

The simulated user calls these (the agent only hears what the user says about them). Most settings
trigger a network search, which is where the operator's side shows: a suspended line, roaming allowed or
not, data used up all reach the phone through the environment's sync, and become visible in the status
bar only after the next search (a reboot, airplane mode off and on, a SIM reseat...). Texts, emoji and
the order of checks are tau2's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fcstudio.envs.base import copy_record, tool
from fcstudio.envs.telecom.functions import env_function
from fcstudio.envs.telecom.records import USER, APNSettings, plain

MODES = ("4g_5g_preferred", "4g_only", "3g_only", "2g_only")
MODE_TECHNOLOGY = {"4g_only": "4G", "3g_only": "3G", "2g_only": "2G"}
SIGNAL_ICONS = {
    "none": "📵 No Signal",
    "poor": "📶¹ Poor",
    "fair": "📶² Fair",
    "good": "📶³ Good",
    "excellent": "📶⁴ Excellent",
}
SPEED_RANGES = {"2G": (0.1, 0.4), "3G": (1.0, 5.0), "4G": (10.0, 100.0), "5G": (50.0, 500.0), "none": (0.0, 0.0)}
SIGNAL_FACTORS = {"poor": 0.2, "fair": 0.5, "good": 0.8, "excellent": 1.0, "none": 0.0}
SPEED_ADVICE = {
    "Very Poor": "Connection is very slow. Basic web browsing might be difficult.",
    "Poor": "Connection is slow. Web browsing may be sluggish, streaming difficult.",
    "Fair": "Connection is okay for web browsing and some standard definition streaming.",
    "Good": "Connection is good for most activities, including HD streaming.",
    "Excellent": "Connection is very fast.",
}
SIM_TEXT = {
    "active": "Your SIM card is active and working.",
    "missing": "No SIM card detected in the phone.",
    "locked_pin": "The SIM card is locked with a PIN code.",
    "locked_puk": "The SIM card is locked with a PUK code.",
}


def default_vpn() -> dict[str, Any]:
    """The VPN a connect sets up. tau2 keeps one such object per process and ``break_vpn`` degrades it in place;
    fcstudio keeps one per episode, so an episode that breaks the VPN and reconnects gets the degraded one
    (as in tau2), and no episode sees another's."""
    return {"server_address": "192.168.1.1", "protocol": "OpenVPN", "server_performance": "excellent"}


def _vpn_repr(details: dict[str, Any]) -> str:
    """Python's repr of tau2's ``VpnDetails.model_dump()``, which the VPN status shows as is."""
    perf = details["server_performance"]
    return (
        f"{{'server_address': {details['server_address']!r}, 'protocol': {details['protocol']!r}, "
        f"'server_performance': <PerformanceLevel.{perf.upper()}: {perf!r}>}}"
    )


class PhoneTools:
    """Mixed into TelecomEnv. Reads go to ``self.state[USER]``; writes to ``self._phone()`` (this episode's copy)."""

    state: dict[str, dict[str, Any]]
    _vpn_default: dict[str, Any]

    if TYPE_CHECKING:  # provided by Environment

        def record_for_write(self, table: str, key: str) -> Any: ...

    @property
    def _dev(self) -> dict[str, Any]:
        return self.state[USER]["device"]

    @property
    def _env(self) -> dict[str, Any]:
        return self.state[USER]["surroundings"]

    def _phone(self) -> dict[str, Any]:
        return self.record_for_write(USER, "device")

    def _around(self) -> dict[str, Any]:
        return self.record_for_write(USER, "surroundings")

    # -- derived state -------------------------------------------------------------------------------
    def _sim_status(self) -> str:
        return "missing" if self._dev["sim_card_missing"] else self._dev["sim_card_status"]

    def _status_bar(self) -> str:
        d = self._dev
        parts = []
        if d["airplane_mode"]:
            parts.append("✈️ Airplane Mode")
        else:
            parts.append(SIGNAL_ICONS.get(d["network_signal_strength"], "📵 No Signal"))
            if d["network_technology_connected"] != "none":
                parts.append(d["network_technology_connected"])
            if d["data_enabled"] and d["network_technology_connected"] != "none":
                parts.append("📱 Data Enabled")
                if d["data_saver_mode"]:
                    parts.append("🔽 Data Saver")
            else:
                parts.append("📵 Data Disabled")
        if d["wifi_enabled"] and d["wifi_connected"]:
            parts.append(f"📡 Connected to {d['wifi_ssid']}" if d["wifi_ssid"] else "📡 Enabled")
        if d["vpn_connected"]:
            parts.append("🔒 VPN Connected")
        parts.append(f"🔋 {d['battery_level']}%")
        return " | ".join(parts)

    def _with_bar(self, text: str) -> str:
        return f"{text}\nStatus Bar: {self._status_bar()}"

    def _mobile_data_working(self) -> bool:
        d, s = self._dev, self._env
        if d["airplane_mode"] or d["network_signal_strength"] == "none":
            return False
        if d["network_connection_status"] == "no_service":
            return False
        if s["is_abroad"] and (not d["roaming_enabled"] or not s["roaming_allowed"]):
            return False
        return bool(d["data_enabled"]) and not s["mobile_data_usage_exceeded"]

    def _speed(self) -> tuple[float | None, str | None]:
        if not self._mobile_data_working():
            return None, "No Connection"
        d = self._dev
        vpn = d["vpn_details"]
        factor = 0.1 if d["vpn_connected"] and vpn and vpn["server_performance"] == "poor" else 1.0
        if d["data_saver_mode"]:
            factor *= 0.2
        low, high = SPEED_RANGES.get(d["network_technology_connected"], (0.0, 0.0))
        speed = round((low + high) / 2.0 * SIGNAL_FACTORS.get(d["network_signal_strength"], 0.0) * factor, 2)
        if speed < 1:
            return speed, "Very Poor"
        if speed < 5:
            return speed, "Poor"
        if speed < 25:
            return speed, "Fair"
        if speed < 100:
            return speed, "Good"
        return speed, "Excellent"

    def _can_send_mms(self) -> bool:
        d = self._dev
        if not self._mobile_data_working() or d["network_technology_connected"] == "2G":
            return False
        if d["wifi_calling_enabled"] and d["wifi_calling_mms_over_wifi"]:
            return False  # the device offers MMS over Wi-Fi; the carrier does not
        if d["active_apn_settings"]["mmsc_url"] is None:
            return False
        app = d["app_statuses"].get("messaging")
        return app is not None and bool(app["permissions"]["storage"] and app["permissions"]["sms"])

    @env_function("user")
    def simulate_network_search(self) -> None:
        """What the phone connects to now: SIM, preferred mode, local signal, airplane mode, APN and line."""
        d, s = self._phone(), self._env
        sim = self._sim_status()
        if sim == "active":
            d["network_connection_status"] = "connected"
            pref = d["network_mode_preference"]
            if pref == "4g_5g_preferred":
                five = s["signal_strength"].get("5G", "none")
                tech, signal = ("4G", s["signal_strength"].get("4G", "none")) if five == "none" else ("5G", five)
            else:
                tech = MODE_TECHNOLOGY.get(pref, "4G")
                signal = s["signal_strength"].get(tech, "none")
            d["network_technology_connected"], d["network_signal_strength"] = tech, signal
        if (
            sim != "active"
            or d["airplane_mode"]
            or d["active_apn_settings"]["apn_name"] == "broken"
            or not s["line_active"]
        ):
            d["network_connection_status"] = "no_service"
            d["network_technology_connected"] = "none"
            d["network_signal_strength"] = "none"

    # -- status and network --------------------------------------------------------------------------
    @tool("read", side="user")
    def check_status_bar(self) -> str:
        """Shows what icons are currently visible in your phone's status bar (the area at the top of the screen). Displays network signal strength, mobile data status (enabled, disabled, data saver), Wi-Fi status, and battery level."""
        return f"Status Bar: {self._status_bar()}"

    @tool("read", side="user")
    def check_network_status(self) -> str:
        """Checks your phone's connection status to cellular networks and Wi-Fi. Shows airplane mode status, signal strength, network type, whether mobile data is enabled, and whether data roaming is enabled."""
        d = self._dev
        lines = [
            f"Airplane Mode: {'ON' if d['airplane_mode'] else 'OFF'}",
            f"SIM Card Status: {self._sim_status()}",
            f"Cellular Connection: {d['network_connection_status']}",
            f"Cellular Signal: {d['network_signal_strength']}",
            f"Cellular Network Type: {d['network_technology_connected']}",
            f"Mobile Data Enabled: {'Yes' if d['data_enabled'] else 'No'}",
            f"Data Roaming Enabled: {'Yes' if d['roaming_enabled'] else 'No'}",
            f"Wi-Fi Radio: {'ON' if d['wifi_enabled'] else 'OFF'}",
            f"Wi-Fi Connected: {'Yes' if d['wifi_connected'] else 'No'}",
        ]
        if d["wifi_connected"]:
            lines.append(f"Connected Wi-Fi Network: {d['wifi_ssid']}")
        return "\n".join(lines)

    @tool("read", side="user")
    def check_network_mode_preference(self) -> str:
        """Shows the current network mode preference."""
        return f"Network Mode Preference: {self._dev['network_mode_preference']}"

    @tool("write", side="user")
    @env_function("user")
    def set_network_mode_preference(self, mode: str) -> str:
        """Changes the type of cellular network your phone prefers to connect to (e.g., 5G, LTE/4G, 3G). Higher-speed networks (LTE/5G) provide faster data but may use more battery.

        Args:
            mode: One of 4g_5g_preferred, 4g_only, 3g_only, 2g_only.
        """
        if mode not in MODES:
            return self._with_bar(
                f"Failed to set network mode: '{mode}' is not a valid option. Please use one of: {', '.join(MODES)}"
            )
        self._phone()["network_mode_preference"] = mode
        self.simulate_network_search()
        return self._with_bar(f"Preferred Network Mode set to: {mode}")

    @tool("read", side="user")
    def run_speed_test(self) -> str:
        """Measures your current internet connection speed (download speed). Provides information about connection quality and what activities it can support."""
        speed, description = self._speed()
        if speed is None:
            return f"Speed test failed: {description or 'Could not determine speed'}."
        return f"Speed Test Result: {speed:.2f} Mbps ({description}). {SPEED_ADVICE.get(description or '', '')}"

    # -- airplane mode -------------------------------------------------------------------------------
    def _toggle_airplane(self) -> bool:
        d = self._phone()
        was_on = d["airplane_mode"]
        d["airplane_mode"] = not was_on
        if was_on:
            d["network_connection_status"] = "searching"
            if d["wifi_enabled"]:
                d["wifi_connected"], d["wifi_ssid"], d["wifi_signal_strength"] = False, None, "none"
        else:
            d["wifi_connected"], d["wifi_ssid"], d["wifi_signal_strength"] = False, None, "none"
            if d["vpn_connected"]:
                self._disconnect_vpn()
        self.simulate_network_search()
        return d["airplane_mode"]

    @tool("write", side="user")
    def toggle_airplane_mode(self) -> str:
        """Toggles Airplane Mode ON or OFF. When ON, it disconnects all wireless communications including cellular, Wi-Fi, and Bluetooth. Returns the new state of airplane_mode."""
        return self._with_bar(f"Airplane Mode is now {'ON' if self._toggle_airplane() else 'OFF'}.")

    @env_function("user")
    def turn_airplane_mode_on(self) -> str:
        if not self._toggle_airplane():
            self._toggle_airplane()
        return "Airplane Mode is now ON."

    @env_function("user")
    def turn_airplane_mode_off(self) -> str:
        if self._toggle_airplane():
            self._toggle_airplane()
        return "Airplane Mode is now OFF."

    # -- SIM -----------------------------------------------------------------------------------------
    @tool("read", side="user")
    def check_sim_status(self) -> str:
        """Checks if your SIM card is working correctly and displays its current status. Shows if the SIM is active, missing, or locked with a PIN or PUK code."""
        status = self._sim_status()
        return SIM_TEXT.get(status, f"Unknown SIM status: {status}")

    @tool("write", side="user")
    def reseat_sim_card(self) -> str:
        """Simulates removing and reinserting your SIM card. This can help resolve recognition issues."""
        self._phone()["sim_card_missing"] = False
        self.simulate_network_search()
        return self._with_bar("SIM card re-seated successfully.")

    @env_function("user")
    def unseat_sim_card(self) -> str:
        self._phone()["sim_card_missing"] = True
        self.simulate_network_search()
        return "SIM card un-seated successfully."

    @env_function("user")
    def lock_sim_card(self, mode: str) -> str:
        if mode in ("pin", "puk"):
            self._phone()["sim_card_status"] = f"locked_{mode}"
        self.simulate_network_search()
        return f"SIM card locked successfully in {mode} mode."

    # -- mobile data and roaming ------------------------------------------------------------------------
    def _toggle_data(self) -> bool:
        d = self._phone()
        d["data_enabled"] = not d["data_enabled"]
        self.simulate_network_search()
        return d["data_enabled"]

    @tool("write", side="user")
    def toggle_data(self) -> str:
        """Toggles your phone's mobile data connection ON or OFF. Controls whether your phone can use cellular data for internet access when Wi-Fi is unavailable. Returns the new data connection status."""
        return self._with_bar(f"Mobile Data is now {'ON' if self._toggle_data() else 'OFF'}.")

    @env_function("user")
    def turn_data_on(self) -> str:
        self._phone()["data_enabled"] = True
        return "Data connection restored."

    @env_function("user")
    def turn_data_off(self) -> str:
        if self._toggle_data():
            self._toggle_data()
        return "Data connection broken."

    def _toggle_roaming(self) -> bool:
        d = self._phone()
        d["roaming_enabled"] = not d["roaming_enabled"]
        self.simulate_network_search()
        return d["roaming_enabled"]

    @tool("write", side="user")
    def toggle_roaming(self) -> str:
        """Toggles Data Roaming ON or OFF. When ON, your phone can use data networks in areas outside your carrier's coverage. Returns the new data roaming status."""
        return self._with_bar(f"Data Roaming is now {'ON' if self._toggle_roaming() else 'OFF'}.")

    @env_function("user")
    def turn_roaming_on(self) -> str:
        if not self._toggle_roaming():
            self._toggle_roaming()
        return "Data Roaming is now ON."

    @env_function("user")
    def turn_roaming_off(self) -> str:
        if self._toggle_roaming():
            self._toggle_roaming()
        return "Data Roaming is now OFF."

    @tool("read", side="user")
    def check_data_restriction_status(self) -> str:
        """Checks if your phone has any data-limiting features active. Shows if Data Saver mode is on."""
        return (
            "Data Saver mode is ON (limits data usage)." if self._dev["data_saver_mode"] else "Data Saver mode is OFF."
        )

    def _toggle_saver(self) -> bool:
        d = self._phone()
        d["data_saver_mode"] = not d["data_saver_mode"]
        return d["data_saver_mode"]

    @tool("write", side="user")
    def toggle_data_saver_mode(self) -> str:
        """Toggles Data Saver mode ON or OFF. When ON, it reduces data usage, which may affect data speed. Returns the new data saver mode status."""
        return self._with_bar(f"Data Saver Mode is now {'ON' if self._toggle_saver() else 'OFF'}.")

    @env_function("user")
    def turn_data_saver_mode_on(self) -> str:
        if not self._toggle_saver():
            self._toggle_saver()
        return "Data Saver Mode is now ON."

    @env_function("user")
    def turn_data_saver_mode_off(self) -> str:
        if self._toggle_saver():
            self._toggle_saver()
        return "Data Saver Mode is now OFF."

    # -- APN -----------------------------------------------------------------------------------------
    @tool("read", side="user")
    def check_apn_settings(self) -> str:
        """Checks the technical APN settings your phone uses to connect to your carrier's mobile data network. Shows current APN name and MMSC URL for picture messaging."""
        apn = self._dev["active_apn_settings"]
        return (
            f"Current APN Name: {apn['apn_name'] or 'Not Set'}\nMMSC URL (for picture messages): "
            f"{apn['mmsc_url'] or 'Not Set'}\n(These are technical settings, usually best left unchanged.)"
        )

    @tool("write", side="user")
    def set_apn_settings(self, apn_settings: dict[str, Any]) -> str:
        """Sets the APN settings for the phone.

        Args:
            apn_settings: The new APN settings: apn_name (internet or broken), reset_at_reboot, mms_apn, mmsc_url, mms_proxy, mms_port.
        """
        settings = plain(APNSettings.model_validate(apn_settings).model_dump())  # tau2's pydantic error if not
        self._phone()["active_apn_settings"] = settings
        self.simulate_network_search()
        return self._with_bar(f"APN settings set to: {settings['apn_name']}")

    @tool("write", side="user")
    def reset_apn_settings(self) -> str:
        """Resets your APN settings to the default settings."""
        self._phone()["active_apn_settings"]["reset_at_reboot"] = True
        self.simulate_network_search()
        return self._with_bar("APN settings will reset at reboot.")

    @env_function("user")
    def break_apn_settings(self) -> str:
        self._phone()["active_apn_settings"]["apn_name"] = "broken"
        self.simulate_network_search()
        return "APN settings broken. Please call reset_apn_settings() to fix."

    @env_function("user")
    def break_apn_mms_setting(self) -> str:
        self._phone()["active_apn_settings"]["mmsc_url"] = None
        return "APN MMS setting broken. Please call reset_apn_settings() to fix."

    # -- Wi-Fi and Wi-Fi calling ----------------------------------------------------------------------------
    @tool("read", side="user")
    def check_wifi_status(self) -> str:
        """Checks your Wi-Fi connection status. Shows if Wi-Fi is turned on, which network you're connected to (if any), and the signal strength."""
        d = self._dev
        if not d["wifi_enabled"]:
            return "Wi-Fi is turned OFF."
        if d["wifi_connected"]:
            return f"Wi-Fi is ON and connected to '{d['wifi_ssid']}'. Signal strength: {d['wifi_signal_strength']}."
        return "Wi-Fi is ON but not connected to any network."

    @tool("write", side="user")
    def toggle_wifi(self) -> str:
        """Toggles your phone's Wi-Fi radio ON or OFF. Controls whether your phone can discover and connect to wireless networks for internet access. Returns the new Wi-Fi status."""
        if self._dev["airplane_mode"]:
            return self._with_bar("Cannot change Wi-Fi settings while Airplane Mode is ON.")
        d = self._phone()
        d["wifi_enabled"] = not d["wifi_enabled"]
        if not d["wifi_enabled"]:
            d["wifi_connected"], d["wifi_ssid"], d["wifi_signal_strength"] = False, None, "none"
        return self._with_bar(f"Wi-Fi is now {'ON' if d['wifi_enabled'] else 'OFF'}.")

    @tool("read", side="user")
    def check_wifi_calling_status(self) -> str:
        """Checks if Wi-Fi Calling is enabled on your device. This feature allows you to make and receive calls over a Wi-Fi network instead of using the cellular network."""
        return f"Wi-Fi Calling is currently turned {'ON' if self._dev['wifi_calling_enabled'] else 'OFF'}."

    @tool("write", side="user")
    def toggle_wifi_calling(self) -> str:
        """Toggles Wi-Fi Calling ON or OFF. This feature allows you to make and receive calls over Wi-Fi instead of the cellular network, which can help in areas with weak cellular signal. Returns the new Wi-Fi Calling status."""
        d = self._phone()
        d["wifi_calling_enabled"] = not d["wifi_calling_enabled"]
        return self._with_bar(f"Wi-Fi Calling is now {'ON' if d['wifi_calling_enabled'] else 'OFF'}.")

    @env_function("user")
    def set_wifi_calling(self, enabled: bool, mms_over_wifi: bool | None = None) -> str:
        d = self._phone()
        if d["wifi_calling_enabled"] != enabled:
            d["wifi_calling_enabled"] = not d["wifi_calling_enabled"]
        msg = f"Wi-Fi Calling is now {'ON' if enabled else 'OFF'}."
        if mms_over_wifi is not None:
            d["wifi_calling_mms_over_wifi"] = mms_over_wifi
            msg += f"\nMMS over Wi-Fi is now {'ON' if mms_over_wifi else 'OFF'}."
        return msg

    # -- VPN -------------------------------------------------------------------------------------------
    @tool("read", side="user")
    def check_vpn_status(self) -> str:
        """Checks if you're using a VPN (Virtual Private Network) connection. Shows if a VPN is active, connected, and displays any available connection details."""
        d = self._dev
        if d["vpn_connected"]:
            if d["vpn_details"]:
                return f"VPN is ON and connected. Details: {_vpn_repr(d['vpn_details'])}"
            return "VPN is ON and connected (no specific details available)."
        if d["vpn_enabled_setting"]:
            return "VPN is turned ON in settings, but currently not connected."
        return "VPN is turned OFF."

    @tool("write", side="user")
    def connect_vpn(self) -> str:
        """Connects to your VPN (Virtual Private Network)."""
        if self._dev["vpn_connected"]:
            return "VPN already connected."
        d = self._phone()
        d["vpn_connected"] = True
        d["vpn_details"] = self._vpn_default  # shared on purpose: break_vpn degrades it for the episode
        return self._with_bar("VPN connected successfully.")

    def _disconnect_vpn(self) -> bool:
        if not self._dev["vpn_connected"]:
            return False
        d = self._phone()
        d["vpn_connected"], d["vpn_details"] = False, None
        return True

    @tool("write", side="user")
    def disconnect_vpn(self) -> str:
        """Disconnects any active VPN (Virtual Private Network) connection. Stops routing your internet traffic through a VPN server, which might affect connection speed or access to content."""
        done = self._disconnect_vpn()
        return self._with_bar("VPN disconnected successfully." if done else "No active VPN connection to disconnect.")

    @env_function("user")
    def break_vpn(self) -> str:
        self.connect_vpn()
        self._phone()["vpn_details"]["server_performance"] = "poor"
        return "VPN connection broken."

    # -- apps ------------------------------------------------------------------------------------------
    @tool("read", side="user")
    def check_installed_apps(self) -> str:
        """Returns the name of all installed apps on the phone."""
        return f"The following apps are installed on the phone: {', '.join(self._dev['app_statuses'])}"

    @tool("read", side="user")
    def check_app_status(self, app_name: str) -> str:
        """Checks detailed information about a specific app. Shows its permissions and background data usage settings.

        Args:
            app_name: The name of the app.
        """
        app = self._dev["app_statuses"].get(app_name)
        if app is None:
            return f"App '{app_name}' not found on this phone."
        lines = [f"Status for App: {app_name}"]
        granted = [p.replace("_", " ").lower() for p, on in app["permissions"].items() if on]
        if not granted:
            lines.append(" - Permissions: None granted.")
        else:
            lines.append(" - Permissions Granted:")
            lines.extend(f"   - {p}" for p in granted)
        return "\n".join(lines)

    @tool("read", side="user")
    def check_app_permissions(self, app_name: str) -> str:
        """Checks what permissions a specific app currently has. Shows if the app has access to features like storage, camera, location, etc.

        Args:
            app_name: The name of the app.
        """
        app = self._dev["app_statuses"].get(app_name)
        if app is None:
            return f"App '{app_name}' not found on this phone."
        granted = [p.replace("_", " ").lower() for p, on in app["permissions"].items() if on]
        if not granted:
            return f"App '{app_name}' currently has no permissions granted."
        return f"App '{app_name}' has permission for: {', '.join(granted)}."

    @tool("write", side="user")
    def grant_app_permission(self, app_name: str, permission: str) -> str:
        """Gives a specific permission to an app (like access to storage, camera, or location). Required for some app functions to work properly.

        Args:
            app_name: The name of the app to grant the permission to.
            permission: The permission to grant, should be lowercase.
        """
        permission = permission.lower()
        app = self._dev["app_statuses"].get(app_name)
        if app is None:
            ok, message = False, f"App '{app_name}' not found. Cannot grant permission."
        elif permission not in app["permissions"]:
            ok, message = (
                False,
                f"Permission '{permission}' not tracked for app '{app_name}', "
                f"available permissions: {list(app['permissions'])}",
            )
        else:
            self._phone()["app_statuses"][app_name]["permissions"][permission] = True
            ok, message = True, f"Permission '{permission}' granted to app '{app_name}'."
        return self._with_bar(f"{'Success. ' if ok else 'Error. '}{message}")

    @env_function("user")
    def remove_app_permission(self, app_name: str, permission: str) -> tuple[bool, str]:
        permission = permission.lower()
        app = self._dev["app_statuses"].get(app_name)
        if app is None:
            return False, f"App '{app_name}' not found. Cannot remove permission."
        if permission not in app["permissions"]:
            return False, f"Permission '{permission}' not tracked for app '{app_name}'."
        self._phone()["app_statuses"][app_name]["permissions"][permission] = False
        return True, f"Permission '{permission}' removed from app '{app_name}'."

    @tool("read", side="user")
    def can_send_mms(self) -> str:
        """Checks if the default messaging app can send MMS messages."""
        if self._can_send_mms():
            return "Your messaging app can send MMS messages."
        return "Your messaging app cannot send MMS messages."

    # -- device ----------------------------------------------------------------------------------------
    @tool("write", side="user")
    def reboot_device(self) -> str:
        """Restarts your phone completely. This can help resolve many temporary software glitches by refreshing all running services and connections."""
        d = self._phone()
        lines = []
        if d["active_apn_settings"]["reset_at_reboot"]:
            lines.append("Resetting APN settings...")
            d["active_apn_settings"] = plain(APNSettings().model_dump())
        lines.append("Restarting network services...")
        d["network_connection_status"] = "searching"
        self.simulate_network_search()
        return self._with_bar("\n".join(lines))

    # -- payments --------------------------------------------------------------------------------------
    @tool("read", side="user")
    def check_payment_request(self) -> str:
        """Checks if the agent has sent you a payment request."""
        request = self._env["payment_request"]
        if request is None:
            return "No payment request has been made."
        return f"You have a payment request for bill {request['bill_id']} of {request['amount_due']} USD."

    @tool("write", side="user")
    def make_payment(self) -> str:
        """Makes a payment for the bill that the agent has sent you."""
        if self._env["payment_request"] is None:
            return "You do not have a payment request."
        request = self._around()["payment_request"]
        request["paid"] = True
        return f"Payment of {request['amount_due']} USD has been made for bill {request['bill_id']}."

    # -- scenario set-up and end-state checks --------------------------------------------------------------
    @env_function("user")
    def set_user_info(self, name: str, phone_number: str) -> None:
        s = self._around()
        s["name"], s["phone_number"] = name, phone_number

    @env_function("user")
    def set_user_location(self, abroad: bool) -> None:
        self._around()["is_abroad"] = abroad

    @env_function("user")
    def assert_airplane_mode_status(self, expected_status: bool) -> bool:
        return self._dev["airplane_mode"] == expected_status

    @env_function("user")
    def assert_service_status(self, expected_status: str) -> bool:
        return self._dev["network_connection_status"] == _member(
            expected_status, ("connected", "searching", "no_service", "emergency_only"), "NetworkStatus"
        )

    @env_function("user")
    def assert_mobile_data_status(self, expected_status: bool) -> bool:
        return self._mobile_data_working() == expected_status

    @env_function("user")
    def assert_mobile_roaming_status(self, expected_status: bool) -> bool:
        return self._dev["roaming_enabled"] == expected_status

    @env_function("user")
    def assert_mobile_data_saver_mode_status(self, expected_status: bool) -> bool:
        return self._dev["data_saver_mode"] == expected_status

    @env_function("user")
    def assert_internet_speed(self, expected_speed: float, expected_desc: str | None = None) -> bool:
        speed, desc = self._speed()
        speed = speed or 0.0
        if expected_desc is None:
            return speed >= expected_speed
        return speed >= expected_speed and (desc or "").lower() == expected_desc.lower()

    @env_function("user")
    def assert_internet_not_excellent(self) -> bool:
        return (self._speed()[1] or "").lower() != "excellent"

    @env_function("user")
    def assert_can_send_mms(self, expected_status: bool) -> bool:
        return self._can_send_mms() == expected_status

    @env_function("user")
    def assert_mobile_data_usage_exceeded(self, expected_status: bool) -> bool:
        return self._env["mobile_data_usage_exceeded"] == expected_status


def _member(value: str, members: tuple[str, ...], enum: str) -> str:
    """An enum value as tau2 converts it (``Enum(value)``): unknown values are refused with its wording."""
    if value not in members:
        raise ValueError(f"{value!r} is not a valid {enum}")
    return value


def deep_copy_device(record: dict[str, Any], vpn_default: dict[str, Any]) -> dict[str, Any]:
    """A private copy of the device that still shares the episode's default VPN (see ``default_vpn``)."""
    return copy_record(record, keep=vpn_default)
