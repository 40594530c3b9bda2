from django import template

from utilitydesk.accounts.names import display_name

register = template.Library()
register.filter("person", display_name)
