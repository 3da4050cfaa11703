from datetime import date

import factory
import pytest

from members.models import Application, ExpertiseProfile


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Kandidaat {n:02d}")
    email = factory.Sequence(lambda n: f"kandidaat{n}@example.nl")
    phone = "06 12345678"
    date_of_birth = date(1980, 5, 1)
    city = "Utrecht"
    province = "UT"
    membership_number = "123456"
    occupation = "Econoom"
    motivation = "Omdat het ertoe doet."
    channel = "network"
    consent_political_data = True
    consent_privacy = True

    @factory.post_generation
    def profiles(self, create, extracted, **kwargs):
        keys = extracted or ["arbeidsmarkteconomie"]
        self.profiles.set(ExpertiseProfile.objects.filter(key__in=keys))


@pytest.fixture
def profile(db):
    return ExpertiseProfile.objects.get(key="arbeidsmarkteconomie")
