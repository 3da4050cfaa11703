"""django-allauth strings this platform translates in its own words.

On this platform "aanmelden" means applying to join the think tank, so
logging in is "inloggen". Listing the strings here keeps them in our
catalogue, which takes precedence over allauth's.
"""

from django.utils.translation import gettext_noop

ALLAUTH_TERMS = [
    gettext_noop("Sign In"),
    gettext_noop("Sign Out"),
    gettext_noop("Sign Up"),
    gettext_noop("Signup Closed"),
    gettext_noop("We are sorry, but the sign up is currently closed."),
]
