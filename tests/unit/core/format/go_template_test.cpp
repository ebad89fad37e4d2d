// Tests for the Go text/template interpreter behind --format: actions, control structures,
// variables, functions and docker-style error messages, with outputs derived from Go's rules.
#include "core/format/go_template.hpp"

#include <doctest/doctest.h>

#include "util/error.hpp"

using tug::Json;

namespace {

const Json kData = Json::parse(R"({
  "ID": "0123456789ab",
  "Name": "/web",
  "Names": ["web", "alias"],
  "Env": ["PATH=/bin", "A=1"],
  "Labels": {"z": "last", "a.b": "dotted", "m": "<&>"},
  "State": {"Status": "running", "Running": true, "Pid": 42, "ExitCode": 0, "Health": null},
  "Ports": [],
  "Size": 2.5,
  "Nested": {"list": [[1, 2], [3]]}
})");

std::string run(std::string_view tmpl, const Json& data = kData, tug::TemplateOptions options = {}) {
  return tug::render_template(tmpl, data, options);
}

/// The message of the tug::Error the template throws, or "" when it succeeds.
std::string error_of(std::string_view tmpl, const Json& data = kData, tug::TemplateOptions options = {}) {
  try {
    tug::render_template(tmpl, data, options);
  } catch (const tug::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("text, fields, dot and root") {
  CHECK(run("plain text") == "plain text");
  CHECK(run("{{.ID}}") == "0123456789ab");
  CHECK(run("{{.State.Status}}/{{.State.Pid}}/{{.State.Running}}") == "running/42/true");
  CHECK(run("{{.Names}}") == "[web alias]");
  CHECK(run("{{.Labels}}") == "map[a.b:dotted m:<&> z:last]");
  CHECK(run("{{.Size}} {{.State.Health}}") == "2.5 <nil>");
  CHECK(run("{{with .State}}{{$.ID}} {{.Pid}}{{end}}") == "0123456789ab 42");
  CHECK(run("{{.}}", Json("just a string")) == "just a string");
}

TEST_CASE("missing keys print <no value> unless missing_key_error") {
  CHECK(run("{{.Missing}}") == "<no value>");
  CHECK(run("{{.Missing.Deeper}}") == "<no value>");
  CHECK(run("{{.State.Nope}}") == "<no value>");
  tug::TemplateOptions strict;
  strict.missing_key_error = true;
  CHECK(
      error_of("{{.Missing}}", kData, strict) ==
      R"(template parsing error: template: :1:2: executing "" at <.Missing>: map has no entry for key "Missing")");
}

TEST_CASE("trim markers and comments") {
  CHECK(run("a  {{- .ID -}}  b") == "a0123456789abb");
  CHECK(run("a \n\t{{- .ID}} b") == "a0123456789ab b");
  CHECK(run("{{.ID -}}\n\n  x") == "0123456789abx");
  CHECK(run("x{{/* a comment */}}y") == "xy");
  CHECK(run("x {{- /* trimmed comment */ -}} y") == "xy");
  CHECK(run("{{-3}}") == "-3");  // "-" glued to a number is a sign, not a trim marker
}

TEST_CASE("json function prints docker's compact JSON") {
  CHECK(run("{{json .Labels}}") == R"({"z":"last","a.b":"dotted","m":"<&>"})");
  CHECK(run("{{json .State}}") ==
        R"({"Status":"running","Running":true,"Pid":42,"ExitCode":0,"Health":null})");
  CHECK(run("{{json .Names}}") == R"(["web","alias"])");
  CHECK(run("{{json .Size}}|{{json .Missing}}") == "2.5|null");
  CHECK(run("{{json .}}", Json::parse(R"({"s":"quote\" nl\n tab\t","u":"\u00e9"})")) ==
        R"({"s":"quote\" nl\n tab\t","u":"é"})");
  CHECK(run("{{.Names | json}}") == R"(["web","alias"])");
}

TEST_CASE("range over arrays and objects") {
  CHECK(run("{{range .Env}}{{.}} {{end}}") == "PATH=/bin A=1 ");
  CHECK(run("{{range $i, $e := .Names}}{{$i}}={{$e}};{{end}}") == "0=web;1=alias;");
  CHECK(run("{{range $e := .Names}}[{{$e}}]{{end}}") == "[web][alias]");
  CHECK(run("{{range $k, $v := .Labels}}{{$k}}:{{$v}} {{end}}") == "a.b:dotted m:<&> z:last ");
  CHECK(run("{{range .Labels}}{{.}},{{end}}") == "dotted,<&>,last,");
  CHECK(run("{{range .Ports}}x{{else}}none{{end}}") == "none");
  CHECK(run("{{range .Missing}}x{{else}}none{{end}}") == "none");
  CHECK(run("{{range .State.Health}}x{{else}}nil{{end}}") == "nil");
  CHECK(run("{{range .Nested.list}}{{range .}}{{.}}{{end}}|{{end}}") == "12|3|");
  CHECK(run("{{range $i := 3}}{{$i}}{{end}}") == "012");
  CHECK(run("{{range .Names}}{{if eq . \"alias\"}}{{break}}{{end}}{{.}}{{end}}") == "web");
  CHECK(run("{{range .Names}}{{if eq . \"web\"}}{{continue}}{{end}}{{.}}{{end}}") == "alias");
  CHECK(
      error_of("{{range .ID}}{{end}}") ==
      R"(template parsing error: template: :1:8: executing "" at <.ID>: range can't iterate over 0123456789ab)");
}

TEST_CASE("if, else if, with") {
  CHECK(run(R"({{if eq .State.Status "running"}}yes{{else}}no{{end}})") == "yes");
  CHECK(run(R"({{if eq .State.Status "exited"}}yes{{else}}no{{end}})") == "no");
  CHECK(run(R"({{if .Ports}}a{{else if .Names}}b{{else}}c{{end}})") == "b");
  CHECK(run(R"({{with .Missing}}a{{else with .State}}{{.Pid}}{{else}}c{{end}})") == "42");
  CHECK(run(R"({{with .Ports}}a{{else}}empty{{end}})") == "empty");
  // Go truthiness: 0, "", false, null, empty collections are false.
  CHECK(
      run("{{if .State.ExitCode}}t{{else}}f{{end}}{{if 0.0}}t{{else}}f{{end}}{{if \"\"}}t{{else}}f{{end}}") ==
      "fff");
  CHECK(run("{{if .State.Health}}t{{else}}f{{end}}{{if .Labels}}t{{else}}f{{end}}{{if 1}}t{{end}}") == "ftt");
}

TEST_CASE("variables and scope") {
  CHECK(run("{{$x := .ID}}{{$x}}") == "0123456789ab");
  CHECK(run("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}") == "2");
  CHECK(run("{{$n := 0}}{{range .Names}}{{$n = .}}{{end}}{{$n}}") == "alias");
  CHECK(run("{{$s := .State}}{{$s.Pid}}") == "42");
  CHECK(error_of("{{if true}}{{$y := 1}}{{end}}{{$y}}") ==
        R"(template parsing error: template: :1: undefined variable "$y")");
}

TEST_CASE("index, len, slice") {
  CHECK(run(R"({{index .Labels "a.b"}})") == "dotted");
  CHECK(run(R"({{index .Names 1}})") == "alias");
  CHECK(run(R"({{index .Nested.list 0 1}})") == "2");
  CHECK(run(R"({{index .Labels "nope"}})") == "<no value>");
  CHECK(run(R"({{len .Names}} {{len .Labels}} {{len .ID}} {{"héllo" | len}})") == "2 3 12 6");
  CHECK(run(R"({{slice .ID 0 4}} {{slice .Names 1}})") == "0123 [alias]");
  CHECK(
      error_of("{{index .Names 5}}") ==
      R"(template parsing error: template: :1:2: executing "" at <index .Names 5>: error calling index: index out of range: 5)");
  CHECK(
      error_of("{{len .State.Pid}}") ==
      R"(template parsing error: template: :1:2: executing "" at <len .State.Pid>: error calling len: len of type int)");
}

TEST_CASE("comparisons and logic") {
  CHECK(run(R"({{eq .State.Pid 42}} {{eq .ID "x" "0123456789ab"}} {{ne .Name "/web"}})") ==
        "true true false");
  CHECK(run(R"({{lt 1 2}} {{le 2 2}} {{gt 1.5 2}} {{ge "b" "a"}} {{lt .Size 3}})") ==
        "true true false true true");
  CHECK(run(R"({{and 1 0 "x"}} {{and 1 "x"}} {{or 0 "" "y"}} {{or 0 ""}} {{not .Ports}})") == "0 x y  true");
  CHECK(run(R"({{eq .Missing "x"}})") == "false");
  CHECK(run(R"({{if and .State.Running (eq .State.ExitCode 0)}}ok{{end}})") == "ok");
  CHECK(
      error_of(R"({{eq .ID 1}})") ==
      R"(template parsing error: template: :1:2: executing "" at <eq .ID 1>: error calling eq: incompatible types for comparison)");
  CHECK(
      error_of(R"({{lt true false}})") ==
      R"(template parsing error: template: :1:2: executing "" at <lt true false>: error calling lt: invalid type for comparison)");
}

TEST_CASE("printf, print, println") {
  CHECK(run(R"({{printf "%-10s|" .ID}})") == "0123456789ab|");
  CHECK(run(R"({{printf "%-10s|" .State.Status}})") == "running   |");
  CHECK(run(R"({{printf "%5d|%x|%q|%v|%t" .State.Pid 255 "a\"b" .Size true}})") ==
        R"(   42|ff|"a\"b"|2.5|true)");
  CHECK(run(R"({{printf "%s=%d" "n" 3 | printf "[%s]"}})") == "[n=3]");
  CHECK(run(R"({{print 1 2 "x" 3}}|{{println "a" 1}})") == "1 2x3|a 1\n");
  CHECK(run(R"({{printf "%d" .ID}})") == "%!d(string=0123456789ab)");
}

TEST_CASE("docker's functions") {
  CHECK(run(R"({{join .Names ", "}})") == "web, alias");
  CHECK(run(R"({{split "a:b:c" ":"}} {{len (split "a:b:c" ":")}} {{split "ab" ""}})") == "[a b c] 3 [a b]");
  CHECK(run(R"({{upper .State.Status}} {{lower "MiXeD"}} {{title "hello wide-world"}})") ==
        "RUNNING mixed Hello Wide-World");
  CHECK(run(R"([{{pad .State.Status 2 1}}][{{pad "" 2 2}}])") == "[  running ][]");
  CHECK(run(R"({{truncate .ID 4}} {{truncate "ab" 5}})") == "0123 ab");
  // The piped value is the last argument, so this passes 3 as the string: an error, as in docker.
  CHECK(error_of(R"({{.Name | truncate 3}})") ==
        R"(template parsing error: template: :1:19: executing "" at <3>: expected string; found 3)");
}

TEST_CASE("html, js, urlquery") {
  CHECK(run(R"({{html "<a href=\"x\">'&'"}})") == "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;");
  CHECK(run(R"({{js "it's <b> = \"x\""}})") == R"(it\'s \u003Cb\u003E \u003D \"x\")");
  CHECK(run(R"({{urlquery "a b&c/d"}})") == "a+b%26c%2Fd");
}

TEST_CASE("literals and parenthesised pipelines") {
  CHECK(run(R"({{"a\tb"}}|{{`raw\n`}}|{{'a'}}|{{1.0}}|{{0x1F}}|{{1e3}}|{{true}})") ==
        "a\tb|raw\\n|97|1|31|1000|true");
  CHECK(run(R"({{(index .Names 0) | upper}} {{(.State).Pid}})") == "WEB 42");
  CHECK(run(R"({{len (printf "%s%s" .ID .ID)}})") == "24");
}

TEST_CASE("header functions keep column names") {
  tug::TemplateOptions header;
  header.header_functions = true;
  Json h = {{"ID", "CONTAINER ID"}, {"Names", "NAMES"}};
  CHECK(run(R"({{json .ID}}|{{upper .ID}}|{{join .Names ","}}|{{truncate .ID 3}}|{{pad .ID 1 1}})", h,
            header) == "CONTAINER ID|CONTAINER ID|NAMES|CONTAINER ID| CONTAINER ID ");
}

TEST_CASE("parse errors read like docker's") {
  auto parse_error = [](std::string_view t) { return error_of(t); };
  CHECK(parse_error("{{.ID }") == R"(template parsing error: template: :1: unexpected "}" in operand)");
  CHECK(parse_error("{{.ID}") == "template parsing error: template: :1: bad character U+007D '}'");
  CHECK(parse_error("{{.ID") == "template parsing error: template: :1: unclosed action");
  CHECK(parse_error("{{if}}x{{end}}") == "template parsing error: template: :1: missing value for if");
  CHECK(parse_error("{{end}}") == "template parsing error: template: :1: unexpected {{end}}");
  CHECK(parse_error("{{if .ID}}x") == "template parsing error: template: :1: unexpected EOF");
  CHECK(parse_error("{{nosuch .ID}}") ==
        R"(template parsing error: template: :1: function "nosuch" not defined)");
  CHECK(parse_error("{{/* open") == "template parsing error: template: :1: unclosed comment");
  CHECK(parse_error("a\nb\n{{.X | |}}") ==
        R"(template parsing error: template: :3: unexpected "|" in command)");
  CHECK(parse_error(R"({{"unterminated}})") ==
        "template parsing error: template: :1: unterminated quoted string");
  CHECK(parse_error("{{break}}") == "template parsing error: template: :1: {{break}} outside {{range}}");
  CHECK(parse_error("{{.A | 3}}") ==
        "template parsing error: template: :1: non executable command in pipeline stage 2");
  CHECK(parse_error("{{template \"x\"}}") ==
        "template parsing error: template: :1: {{define}}, {{template}} and {{block}} are not supported");
}

TEST_CASE("execution errors name the position and the node") {
  CHECK(
      error_of("{{.ID.X}}") ==
      R"(template parsing error: template: :1:2: executing "" at <.ID.X>: can't evaluate field X in type string)");
  CHECK(
      error_of("{{.State.Health.Status}}") ==
      R"(template parsing error: template: :1:2: executing "" at <.State.Health.Status>: nil pointer evaluating interface {}.Status)");
  CHECK(
      error_of("line1\n  {{index .Names 9}}") ==
      R"(template parsing error: template: :2:4: executing "" at <index .Names 9>: error calling index: index out of range: 9)");
  CHECK(
      error_of("{{len}}") ==
      R"(template parsing error: template: :1:2: executing "" at <len>: wrong number of args for len: want 1 got 0)");
  CHECK(error_of("{{upper 3}}") ==
        R"(template parsing error: template: :1:8: executing "" at <3>: expected string; found 3)");
  CHECK(
      error_of("{{upper .State.Pid}}") ==
      R"(template parsing error: template: :1:8: executing "" at <.State.Pid>: wrong type for value; expected string; got int)");
  CHECK(error_of("{{nil}}") ==
        R"(template parsing error: template: :1:2: executing "" at <nil>: nil is not a command)");
  CHECK(
      error_of("{{.Names | .ID}}") ==
      R"(template parsing error: template: :1:11: executing "" at <.ID>: ID is not a method but has arguments)");
}

TEST_CASE("execute keeps output written before an error") {
  tug::GoTemplate t("ok {{.A}} {{len .B}} never");
  std::string out;
  CHECK_THROWS_AS(t.execute(Json::parse(R"({"A":"a","B":1})"), out), tug::Error);
  CHECK(out == "ok a ");
}

TEST_CASE("field_names lists the fields a template mentions") {
  tug::GoTemplate t(
      "{{.ID}}\t{{.Names}}{{range .Ports}}{{.HostPort}}{{end}}{{.ID}}{{with .State}}{{.Pid}}{{end}}");
  CHECK(t.field_names() == std::vector<std::string>{"ID", "Names", "Ports", "HostPort", "State", "Pid"});
}
