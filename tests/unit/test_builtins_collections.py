"""Lists, maps and collections: edge cases the conformance files do not reach.

Spec: list-map-date-json.md sections 0 to 3, LANGUAGE.md 3.8 to 3.10, 4.4, 6, D35, D50.
"""

from __future__ import annotations

import pytest

import deluge
from deluge.limits import Limits


def run(src: str, **kw):  # type: ignore[no-untyped-def]
    return deluge.run(src, **kw)


def out(src: str, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    r = run(src, **kw)
    assert r.error is None, r.error
    return list(r.output)


def fails(src: str, kind: str = "runtime", line: int | None = None, **kw):  # type: ignore[no-untyped-def]
    r = run(src, **kw)
    assert r.error is not None, r.output
    assert r.error.kind == kind, (r.error.kind, r.error.message)
    if line is not None:
        assert r.error.line == line
    return r


# ---------------------------------------------------------------- null receivers (D2)


def test_add_on_null_receiver_is_runtime_error() -> None:
    fails('l = null;\nl.add(1);', line=2)


def test_is_empty_on_null_receiver_is_true() -> None:
    assert out("l = null;\ninfo l.isEmpty();") == ["true"]


def test_get_on_null_from_missing_key_is_runtime_error() -> None:
    fails('m = {"a":1};\ninfo m.get("b").size();', line=2)


# ---------------------------------------------------------------- indexes


@pytest.mark.parametrize("call", ["get(3)", "get(-1)", "remove(3)", "update(3, 0)", "subList(0, 4)",
                                  "subList(-1)", "subList(2, 1)"])
def test_bad_list_indexes_are_runtime_errors(call: str) -> None:
    fails(f"l = {{1,2,3}};\ninfo \"x\";\ninfo l.{call};", line=3)


def test_whole_decimal_and_numeric_text_indexes_are_accepted() -> None:
    assert out('l = {"a","b","c"};\ninfo l.get(1.0);\ninfo l.get("2");') == ["b", "c"]


def test_fractional_index_is_runtime_error() -> None:
    r = fails('l = {"a","b"};\ninfo l.get(0.5);', line=2)
    assert "whole" in r.error.message


def test_boolean_index_is_runtime_error() -> None:
    fails('l = {"a","b"};\ninfo l.get(true);', line=2)


def test_failed_remove_leaves_list_unchanged() -> None:
    assert out('l = {1,2};\ntry { l.remove(5); } catch (e) { info "caught"; }\ninfo l;') == ["caught", "1,2"]


def test_duplicate_range_checks() -> None:
    assert out('c = collection("a","b","c");\ninfo c.duplicate(1);\ninfo c.duplicate(1,1).size();') == ["b,c", "0"]
    fails('c = collection("a","b","c");\ninfo c.duplicate(-1, 2);', line=2)
    fails('c = collection("a","b","c");\ninfo c.duplicate(2, 1);', line=2)


def test_duplicate_of_key_value_collection_copies_values() -> None:
    assert out('c = collection("a":1,"b":2,"c":3);\ninfo c.duplicate(1,3);') == ["2,3"]


def test_delete_keys_checks_every_index_before_removing() -> None:
    src = 'c = collection("a","b","c");\ntry { c.deleteKeys({0,7}); } catch (e) { info "caught"; }\ninfo c;'
    assert out(src) == ["caught", "a,b,c"]


def test_delete_keys_with_repeated_index_removes_once() -> None:
    assert out('c = collection("a","b","c");\nc.deleteKeys({0,0,2});\ninfo c;') == ["b"]


def test_contains_key_on_index_collection() -> None:
    src = 'c = collection("a","b");\ninfo c.containsKey(1.0);\ninfo c.containsKey("1");\ninfo c.containsKey(-1);'
    assert out(src) == ["true", "false", "false"]


# ---------------------------------------------------------------- argument types


@pytest.mark.parametrize("src", [
    "l = {1};\nl.addAll(null);",
    'l = {1};\nl.addAll({"a":1});',
    "m = {\"a\":1};\nm.putAll(3);",
    "l = {2,1};\nl.sort(\"yes\");",
    "l = {1};\nl.removeAll(1);",
    "l = {1};\ninfo l.intersect(5);",
    "l = {1};\ninfo l.toString(5);",
    'info List("a,b");',
    "info Map({1,2});",
])
def test_wrong_argument_types_are_runtime_errors(src: str) -> None:
    fails(src, line=2 if "\n" in src else 1)


def test_insert_with_no_argument_is_runtime_error() -> None:
    fails('c = collection("a");\nc.insert();', line=2)


def test_insert_checks_every_argument_before_inserting() -> None:
    src = 'c = collection("a");\ntry { c.insert("b", "k":1); } catch (e) { info "caught"; }\ninfo c;'
    assert out(src) == ["caught", "a"]


def test_insert_all_kind_mismatches() -> None:
    fails('c = collection("a":1);\nc.insertAll({1,2});', line=2)
    fails('c = collection("a","b");\nc.insertAll({"x":1});', line=2)


def test_insert_all_takes_a_list_of_maps_and_pairs() -> None:
    src = 'c = collection("a":1);\nc.insertAll({{"b":2},{"a":3}});\nc.insertAll("d":4, "e":5);\ninfo c;'
    assert out(src) == ['{"a":3,"b":2,"d":4,"e":5}']


def test_collection_mixing_elements_and_pairs_is_runtime_error() -> None:
    fails('c = Collection("a":1, "b");', line=1)


def test_collection_repeated_key_keeps_first_position_last_value() -> None:
    assert out('c = Collection("a":1, "b":2, "a":3);\ninfo c;') == ['{"a":3,"b":2}']


def test_empty_collection_settles_on_first_insert() -> None:
    assert out('c = Collection();\ninfo c.isEmpty();\nc.insert("k":1);\ninfo c;') == ["true", '{"k":1}']
    assert out('c = Collection();\nc.insert("x", "y");\ninfo c;\ninfo c.size();') == ["x,y", "2"]


def test_settled_collection_keeps_its_kind() -> None:
    fails('c = Collection();\nc.insert("k":1);\nc.clear();\nc.insert("x");', line=4)


# ---------------------------------------------------------------- copies (D35)


def test_list_and_map_constructors_copy() -> None:
    src = ('a = {1};\nb = List(a);\nb.add(2);\nm = {"k":1};\nn = Map(m);\nn.put("j", 2);\n'
           'info a;\ninfo b;\ninfo m;\ninfo n;')
    assert out(src) == ["1", "1,2", '{"k":1}', '{"k":1,"j":2}']


def test_to_list_and_sublist_results_are_independent() -> None:
    src = "a = {1,2,3};\nb = a.toList();\nc = a.subList(0,2);\nb.add(4);\nc.add(5);\ninfo a;"
    assert out(src) == ["1,2,3"]


def test_distinct_of_a_typed_list_keeps_converting() -> None:
    assert out('l = List:Int({1,1,2});\nd = l.distinct();\nd.add("7");\ninfo d;\ninfo d.get(2) + 1;') == [
        "1,2,7", "8"]


# ---------------------------------------------------------------- typed lists (LANGUAGE.md 3.8)


def test_typed_lists_convert_elements() -> None:
    src = ('t = List:String();\nt.add(5);\nt.add(2.5);\nt.add(true);\ninfo t.get(0) == "5";\n'
           'n = List:Int({"7", 8});\ninfo n.get(0) + 1;\n'
           'd = List:Decimal({1, "2.5"});\ninfo d;\n'
           'b = List:Bool({"TRUE", false});\ninfo b;')
    assert out(src) == ["true", "8", "1.0,2.5", "true,false"]


def test_date_typed_list_reads_text_and_epoch_milliseconds() -> None:
    assert out("l = List:Date({'01-Jan-2020', 86400000});\ninfo l;") == ["01-Jan-2020,02-Jan-1970 00:00:00"]


@pytest.mark.parametrize("src", [
    'l = List:Int();\nl.add("x");',
    "l = List:Int();\nl.add(2.5);",
    'l = List:Int();\nl.add("1_000");',
    'l = List:Int();\nl.add("99999999999999999999");',
    'l = List:Decimal();\nl.add("inf");',
    "l = List:Bool();\nl.add(1);",
    'l = List:Date();\nl.add("not a date");',
    'l = List:Int();\nl.addAll({1, "x"});',
    'l = List:Int({1});\nl.update(0, "x");',
    'l = List:Int({1});\nl.insert("x");',
])
def test_typed_list_rejects_unconvertible_values(src: str) -> None:
    fails(src, line=2)


def test_typed_add_all_is_all_or_nothing() -> None:
    assert out('l = List:Int({1});\ntry { l.addAll({2, "x"}); } catch (e) { info "caught"; }\ninfo l;') == [
        "caught", "1"]


def test_typed_list_accepts_null() -> None:
    assert out("l = List:Int();\nl.add(null);\ninfo l.size();") == ["1"]


def test_remove_element_on_typed_list_needs_its_type() -> None:
    fails('l = List:Int({5});\nl.removeElement("5");', line=2)
    assert out("l = List:Int({5, 6});\nl.removeElement(5);\ninfo l;") == ["6"]


# ---------------------------------------------------------------- equality and distinct


def test_distinct_uses_deluge_equality() -> None:
    # 1 == 1.0; "1" != 1; true != 1; null == ""
    assert out('l = {1, 1.0, "1", true, 1, null, ""};\ninfo l.distinct();') == ["1,1,true,null"]


def test_distinct_compares_nested_lists_and_maps_by_value() -> None:
    src = 'l = {{1,2},{1,2},{"a":1,"b":2},{"b":2,"a":1},{2,1}};\ninfo l.distinct();'
    assert out(src) == ['[1,2],{"a":1,"b":2},[2,1]']


def test_remove_all_and_intersect_follow_equality() -> None:
    src = 'l = {1, 2.0, "2", 3};\nl.removeAll({2});\ninfo l;\ninfo {1, 2, 2, 3}.intersect({2.0, 3, "1"});'
    assert out(src) == ["1,2,3", "2,3"]


def test_delete_all_removes_one_match_per_value() -> None:
    assert out('c = collection("a","b","a","b");\nc.deleteAll({"a","b","a"});\ninfo c;') == ["b"]
    assert out('c = collection("x":1,"y":1,"z":2);\nc.deleteAll({1});\ninfo c;') == ['{"y":1,"z":2}']


def test_contains_does_not_confuse_booleans_and_numbers() -> None:
    assert out("l = {1, 0};\ninfo l.contains(true);\ninfo l.indexOf(false);") == ["false", "-1"]


def test_intersect_of_key_value_collection_uses_values() -> None:
    assert out('c = collection("a":1,"b":2);\ninfo c.intersect({2, 3});\ninfo {"x", 2}.intersect(c);') == [
        "2", "2"]


# ---------------------------------------------------------------- sort


def test_sort_is_stable_in_both_directions() -> None:
    assert out("l = {1.0, 1, 0};\ninfo l.sort();\nm = {1, 1.0, 2};\ninfo m.sort(false);") == [
        "0,1.0,1", "2,1,1.0"]


@pytest.mark.parametrize("items", ['1,"a"', '"a",null', '{1},{2}', '{"a":1}', "true,1", "'01-Jan-2020',1"])
def test_sort_of_unorderable_elements_returns_null_and_keeps_the_list(items: str) -> None:
    src = f"l = {{{items}}};\nbefore = l.toString();\ninfo l.sort();\ninfo l.toString() == before;"
    assert out(src) == ["null", "true"]


def test_sort_returns_the_sorted_receiver() -> None:
    assert out("l = {3,1,2};\nr = l.sort();\nr.add(9);\ninfo l;") == ["1,2,3,9"]


def test_sort_booleans_and_times() -> None:
    assert out("l = {true,false};\ninfo l.sort();\nd = {'02-Jan-2020 10:00:00','02-Jan-2020'};\ninfo d.sort();") == [
        "false,true", "02-Jan-2020,02-Jan-2020 10:00:00"]


def test_sort_charges_n_log_n_work() -> None:
    src = "l = {" + ",".join(str(i) for i in range(1024, 0, -1)) + "};\nl.sort();"
    r = run(src)
    assert r.error is None
    assert r.stats.work >= 1024 * 10


def test_map_sort_by_value_and_mixed_values() -> None:
    assert out('m = {"a":2,"b":1,"c":3};\nm.sort(false);\ninfo m;') == ['{"c":3,"a":2,"b":1}']
    assert out('m = {"a":2,"b":"x"};\ninfo m.sort();\ninfo m;') == ["null", '{"a":2,"b":"x"}']


def test_sort_key_on_mixed_keys_returns_null_and_index_collection_reverses() -> None:
    assert out('m = {1:"x","a":2};\ninfo m.sortKey();\ninfo m;') == ["null", '{"1":"x","a":2}']
    assert out('c = collection("a","c","b");\nc.sortKey(false);\ninfo c;\nc.sortKey();\ninfo c;') == [
        "b,c,a", "b,c,a"]


# ---------------------------------------------------------------- map keys


def test_list_keys_come_back_as_independent_lists() -> None:
    src = ('m = Map();\nm.put({"x","y"}, 1);\nk = m.keys().get(0);\nk.add("z");\n'
           'info k;\ninfo m.get({"x","y"});\ninfo m.containKey({"x","y"});\ninfo m.getKey(1).size();')
    assert out(src) == ["x,y,z", "1", "true", "2"]


def test_map_keys_work_as_keys_and_remove() -> None:
    src = 'm = Map();\nm.put({"a":1}, "v");\ninfo m.get({"a":1});\ninfo m.remove({"a":1});\ninfo m.size();'
    assert out(src) == ["v", "v", "0"]


def test_date_key_is_stored_as_midnight_date_time() -> None:
    src = "m = Map();\nm.put('01-Jan-2020', 1);\ninfo m;\ninfo m.get('01-Jan-2020 00:00:00');"
    assert out(src) == ['{"01-Jan-2020 00:00:00":1}', "1"]


def test_whole_decimal_key_is_the_same_key() -> None:
    assert out('m = Map();\nm.put(1, "a");\nm.put(1.0, "b");\ninfo m.size();\ninfo m.get(1);') == ["1", "b"]


def test_put_all_keeps_positions_of_existing_keys() -> None:
    assert out('m = {"a":1,"b":2};\nm.putAll({"b":3,"c":4});\ninfo m;') == ['{"a":1,"b":3,"c":4}']


def test_get_key_and_get_last_key_on_maps() -> None:
    assert out('m = {"a":1,"b":2,"c":1};\ninfo m.getKey(1);\ninfo m.getLastKey(1);\ninfo m.getKey(9);') == [
        "a", "c", "null"]


# ---------------------------------------------------------------- text results


def test_to_string_with_separator_and_nested_values() -> None:
    src = 'l = {1,{2,3},{"a":1},null,2.5};\ninfo l.toString(";");\ninfo l.toText();\ninfo l.toString("");'
    assert out(src) == ['1;[2,3];{"a":1};null;2.5', '1,[2,3],{"a":1},null,2.5', '1[2,3]{"a":1}null2.5']


def test_to_string_function_form_with_separator() -> None:
    assert out('info toString({1,2}, " | ");') == ["1 | 2"]


def test_map_to_string_takes_no_argument() -> None:
    fails('m = {"a":1};\ninfo m.toString(",");', line=2)


def test_to_list_string_on_a_list() -> None:
    src = 'l = {1,{2},"x",true};\nt = l.toListString();\ninfo t;\ninfo t.contains("1");\ninfo t.contains(1);'
    assert out(src) == ['1,[2],x,true', "true", "false"]


def test_self_containing_list_renders_as_budget_error() -> None:
    fails("l = {1};\nl.add(l);\ninfo l.size();\ninfo l.toString(\";\");", kind="budget", line=4)


def test_map_holding_itself_may_be_stored_but_not_printed() -> None:
    r = fails('m = Map();\nm.put("self", m);\ninfo m.size();\ninfo m.toString();', kind="budget", line=4)
    assert r.output == ["1"]


# ---------------------------------------------------------------- limits (D10, D15)

SMALL = Limits(collection_size=5)


@pytest.mark.parametrize("src", [
    "l = {1,2,3,4,5};\nl.add(6);",
    "l = {1,2,3};\nl.addAll({4,5,6});",
    "l = {1,2,3};\nl.addAll(l);",
    'm = {"a":1,"b":2,"c":3,"d":4,"e":5};\nm.put("f", 6);',
    'm = {"a":1,"b":2,"c":3};\nm.putAll({"d":4,"e":5,"f":6});',
    "c = collection(1,2,3,4);\nc.insert(5, 6);",
    'c = collection("a":1,"b":2,"c":3,"d":4,"e":5);\nc.insert("f":6);',
    'c = collection("a":1,"b":2,"c":3);\nc.insertAll({{"d":4},{"e":5},{"f":6}});',
    'c = collection("a":1,"b":2,"c":3,"d":4,"e":5);\nc.update("f", 6);',
    "x = 1;\nc = collection(1,2,3,4,5,6);",
    "l = List:Int();\nl.addAll({1,2,3,4,5,6});",
])
def test_growth_past_collection_size_is_budget_error(src: str) -> None:
    fails(src, kind="budget", line=2, limits=SMALL)


def test_replacing_keys_at_the_size_limit_is_allowed() -> None:
    src = 'm = {"a":1,"b":2,"c":3,"d":4,"e":5};\nm.put("a", 9);\nm.putAll({"b":8});\ninfo m.size();'
    assert out(src, limits=SMALL) == ["5"]


def test_long_to_string_is_budget_error_before_building() -> None:
    limits = Limits(text_length=4096)
    src = ('l = List();\ns = "' + "x" * 1000 + '";\n'
           'for each i in {1,2,3,4,5} { l.add(s); }\ninfo l.toString("-").length();')
    fails(src, kind="budget", line=4, limits=limits)
    src2 = src.replace('l.toString("-").length()', "l.toListString().size()")
    assert out(src2, limits=limits) == ["5"]  # texts kept as they are build no new text
    src3 = src.replace("l.add(s)", "l.add({s})").replace('l.toString("-").length()', "l.toListString().size()")
    fails(src3, kind="budget", line=4, limits=limits)


def test_distinct_of_a_large_list_is_fast_and_charged() -> None:
    src = "l = {1,2,3,4,5,6,7,8,9,10};\n" + "l.addAll(l);\n" * 13 + "info l.distinct().size();"
    r = run(src)
    assert r.error is None and r.output == ["10"]
    assert r.stats.work >= 81920
    fails(src, kind="budget", limits=Limits(work=50_000))


# ---------------------------------------------------------------- collections on lists and maps (0.4)


def test_collection_functions_on_plain_lists_and_maps() -> None:
    src = ('l = {"a","b","a"};\ninfo l.getLastKey("a");\ninfo l.keys();\nl.delete("a");\ninfo l;\n'
           'm = {"k":1};\ninfo m.containsValue(1);\nm.insert("j":2);\ninfo m;\nm.deleteKey("k");\ninfo m;')
    assert out(src) == ["2", "a,b,a", "b,a", "true", '{"k":1,"j":2}', '{"j":2}']


def test_list_only_functions_fail_on_maps() -> None:
    fails('m = {"a":1};\nm.add(2);', line=2)
    fails('m = {"a":1};\ninfo m.indexOf(1);', line=2)
    fails('l = {1};\nl.put("a", 1);', line=2)
    fails('l = {1};\ninfo l.containKey(0);', line=2)


def test_update_on_a_map_adds_absent_key_at_the_end() -> None:
    assert out('m = {"a":1,"b":2};\nm.update("a", 5);\nm.update("c", 3);\ninfo m;') == ['{"a":5,"b":2,"c":3}']


def test_mutating_functions_return_null_as_expressions() -> None:
    assert out('l = {1};\nx = l.add(2);\ninfo x;\nm = {"a":1};\ny = m.put("b", 2);\ninfo y;') == ["null", "null"]
