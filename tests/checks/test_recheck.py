"""The independent re-check (benchmarks/recheck.py) sees what the rules drop, by its own reading: a
wrong-typed value, a byte literal, a placeholder; and keeps a text that merely ends in b."""

from __future__ import annotations

from benchmarks.recheck import untakeable, violations
from workflowbench.code.from_code import function_map

ANY = {"type": "object"}
SCHEMAS = {"com.example.Photo.TakeIntent": ANY, "com.example.Calc.AddIntent": ANY,
           "is.workflow.actions.showresult": ANY}
TYPES = ({"com.example.Photo.TakeIntent": "UIImage | WFImageContentItem", "com.example.Calc.AddIntent": "NSNumber"},
         {("com.example.Calc.AddIntent", "amount"): "number", ("com.example.Calc.AddIntent", "note"): "string"})


def check(code: str) -> list[str]:
    row = {"sample_id": "s", "spec_id": None, "query": "Add up what I give it.", "task_plan": "1. **Add** it",
           "workflow_code": code}
    return violations(row, SCHEMAS, function_map(SCHEMAS), {}, 300, 16_000, TYPES)


def test_the_recheck_flags_what_the_rules_drop() -> None:
    photo = "# Photo\nphoto = com_example_Photo_TakeIntent()\n"
    assert check(photo + "# Add\ncom_example_Calc_AddIntent(note=photo)\n") == []
    assert check(photo + "# Add\ncom_example_Calc_AddIntent(amount=photo)\n") == ["typed-values"]
    assert check(photo + "# Add\ncom_example_Calc_AddIntent(amount=coerce_variable(value=photo, "
                 "coercion_class='WFNumberContentItem'))\n") == []
    assert check("# Show the text '!b'\nis_workflow_actions_showresult(Text='!b')\n") == []
    assert check("# Show\nis_workflow_actions_showresult(Text=b'\\x89PNG')\n") == ["no-placeholders"]
    assert untakeable("CLLocation") and untakeable("(UIImage(Object) or PHAsset(Object))")
    assert not untakeable("NSString | UIImage") and not untakeable(None) and not untakeable("Object")
