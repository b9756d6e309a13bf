"""职业技能鉴定站 forms and archive pipeline."""

__version__ = "0.1.0"
