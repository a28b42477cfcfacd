"""fcstudio: a function-calling data studio (engine; never imports streamlit)."""

__version__ = "0.1.0"
