"""Market segmentation and sales-coverage planning from CRM exports.

The engine never imports streamlit; only :mod:`segmentation.ui` may.
"""

__version__ = "0.1.0"
