from documents.merge import merge, paragraphs

BASE = "Inleiding.\n\nTweede alinea.\n\nDerde alinea.\n\nVierde alinea."


def test_paragraphs_split_on_blank_lines():
    assert paragraphs("Een\nregel.\n\n\nTwee.\n  \nDrie.") == ["Een\nregel.", "Twee.", "Drie."]


def test_changes_in_different_paragraphs_merge_cleanly():
    ours = BASE.replace("Inleiding.", "Inleiding, herschreven.")
    theirs = BASE.replace("Vierde alinea.", "Vierde alinea, aangevuld.")

    result = merge(BASE, ours, theirs)

    assert result.clean
    assert result.text == "Inleiding, herschreven.\n\nTweede alinea.\n\nDerde alinea.\n\nVierde alinea, aangevuld."


def test_both_sides_adding_at_different_places_keeps_both():
    ours = "Nieuw begin.\n\n" + BASE
    theirs = BASE + "\n\nNieuw slot."

    result = merge(BASE, ours, theirs)

    assert result.clean
    assert paragraphs(result.text) == ["Nieuw begin.", *paragraphs(BASE), "Nieuw slot."]


def test_same_change_on_both_sides_is_taken_once():
    changed = BASE.replace("Derde alinea.", "Derde alinea, gelijk.")

    result = merge(BASE, changed, changed)

    assert (result.clean, result.text) == (True, changed)


def test_overlapping_changes_are_a_conflict_and_nothing_is_guessed():
    ours = BASE.replace("Tweede alinea.", "Tweede alinea volgens mij.")
    theirs = BASE.replace("Tweede alinea.", "Tweede alinea volgens jou.")

    result = merge(BASE, ours, theirs)

    assert [(c.base, c.ours, c.theirs) for c in result.conflicts] == [
        ("Tweede alinea.", "Tweede alinea volgens mij.", "Tweede alinea volgens jou.")
    ]


def test_neighbouring_changes_merge():
    ours = BASE.replace("Tweede alinea.", "Tweede, anders.")
    theirs = BASE.replace("Derde alinea.", "Derde, anders.")

    result = merge(BASE, ours, theirs)

    assert (result.clean, result.text) == (
        True,
        BASE.replace("Tweede alinea.", "Tweede, anders.").replace("Derde alinea.", "Derde, anders."),
    )


def test_delete_on_one_side_and_edit_elsewhere_merge():
    ours = BASE.replace("\n\nTweede alinea.", "")
    theirs = BASE.replace("Vierde alinea.", "Vierde, bewerkt.")

    result = merge(BASE, ours, theirs)

    assert result.clean
    assert paragraphs(result.text) == ["Inleiding.", "Derde alinea.", "Vierde, bewerkt."]


def test_only_one_side_changed():
    ours = BASE.replace("Derde alinea.", "Derde, nieuw.")

    assert merge(BASE, ours, BASE).text == ours
    assert merge(BASE, BASE, ours).text == ours
