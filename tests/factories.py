import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group

from denktank.demo import DEMO_TOTP_SECRET
from denktank.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    name = factory.Faker("name", locale="nl_NL")
    email = factory.Sequence(lambda n: f"persoon{n}@example.nl")
    password = factory.django.Password("geheim-wachtwoord-1")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or ():
            self.groups.add(Group.objects.get_or_create(name=role)[0])

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)

    @factory.post_generation
    def totp(self, create, extracted, **kwargs):
        if extracted:
            TOTP.activate(self, DEMO_TOTP_SECRET)
