"""Tools every tau2-style customer-service domain offers, written once."""

from __future__ import annotations

from fcstudio.envs.base import tool
from fcstudio.envs.calc import calculate_expression


class CommonTools:
    """Mixed into a domain's Environment: ``calculate`` and ``transfer_to_human_agents`` (tau2 wording)."""

    @tool("generic")
    def calculate(self, expression: str) -> str:
        """Calculate the result of a mathematical expression.

        Args:
            expression: The mathematical expression to calculate, such as '2 + 2'. The expression can contain numbers, operators (+, -, *, /), parentheses, and spaces.
        """
        return calculate_expression(expression)

    @tool("generic")
    def transfer_to_human_agents(self, summary: str) -> str:
        """Transfer the user to a human agent, with a summary of the user's issue. Only transfer if the user explicitly asks for a human agent, or given the policy and the available tools, you cannot solve the user's issue.

        Args:
            summary: A summary of the user's issue.
        """
        return "Transfer successful"
