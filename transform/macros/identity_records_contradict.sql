{#-
  The steward's rule for "these two records are different people", whatever identifier or likeness they share:

    two records CONTRADICT when they clearly differ on two things a person keeps:
      their given names clearly differ AND (their birth dates clearly differ OR their surnames clearly differ
                                            OR their e-mail addresses differ),
      or their birth dates clearly differ AND their e-mail addresses differ.

  "Clearly differ" means both values are present and no ordinary error explains the difference:
    given names  - not the same after nickname mapping (seed nickname_map: bob = robert), Jaro-Winkler < 0.8,
                   not an initial of the other, not similar (Jaro-Winkler >= 0.8) to the other record's surname
                   (swapped fields, with or without a typo);
    birth dates  - not equal, not day and month transposed, more than one digit apart (YYYYMMDD)
                   (macro identity_birth_dates_differ);
    surnames     - not equal, Jaro-Winkler < 0.8, no part in common (double-barrelled or changed names);
    e-mails      - both present and different after normalization (gmail dots, plus tags, case).
  A missing value never contradicts, and no single difference does: public record-linkage data (FEBRL) shows
  given names and whole birth dates replaced in true duplicates, and one person has several e-mail addresses.
  Two differences together are what tells people apart who share a household or an identifier: spouses and
  siblings (different given names and birth dates, or different given names and own mailboxes), twins
  (different given names, own mailboxes), a parent and a child of the same name (birth dates decades apart, own
  mailboxes), colleagues sharing info@company (different given names and surnames). One person with a nickname,
  a typo, a transposed day and month, a new surname or a second mailbox does not contradict.

  Used for shared keys (int_identity_keys_overshared) and inside clusters (int_identity_conflicts). `a` and `b`
  are relation aliases with first_name_canonical, last_name, birth_date and email columns.
-#}
{% macro identity_records_contradict(a, b) -%}
(
    (
        (
            {{ a }}.first_name_canonical is not null and {{ b }}.first_name_canonical is not null
            and {{ a }}.first_name_canonical <> {{ b }}.first_name_canonical
            and jaro_winkler_similarity({{ a }}.first_name_canonical, {{ b }}.first_name_canonical) < 0.8
            and not ((length({{ a }}.first_name_canonical) = 1 or length({{ b }}.first_name_canonical) = 1)
                     and left({{ a }}.first_name_canonical, 1) = left({{ b }}.first_name_canonical, 1))
            -- given name and surname swapped, possibly with a typo
            and coalesce(jaro_winkler_similarity({{ a }}.first_name_canonical, {{ b }}.last_name), 0) < 0.8
            and coalesce(jaro_winkler_similarity({{ b }}.first_name_canonical, {{ a }}.last_name), 0) < 0.8
            and (
                {{ c360.identity_birth_dates_differ(a, b) }}
                or (
                    {{ a }}.last_name is not null and {{ b }}.last_name is not null
                    and {{ a }}.last_name <> {{ b }}.last_name
                    and jaro_winkler_similarity({{ a }}.last_name, {{ b }}.last_name) < 0.8
                    and {{ c360.words_in_common(a ~ '.last_name', b ~ '.last_name') }} = 0
                )
                or coalesce({{ a }}.email <> {{ b }}.email, false)
            )
        )
        or (
            {{ c360.identity_birth_dates_differ(a, b) }}
            and coalesce({{ a }}.email <> {{ b }}.email, false)
        )
    )
)
{%- endmacro %}
