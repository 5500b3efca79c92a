package stacks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// ARN is an ARN in two forms: the one IAM gets (with CloudFormation tokens
// for partition and account) and the one cdk-nag prints in its findings.
type ARN struct {
	IAM string
	Nag string
}

// AnyResource is the "*" resource, for actions without resource-level
// permissions.
var AnyResource = ARN{IAM: "*", Nag: "*"}

// NewARN builds arn:<partition>:<service>:<region>:<account>:<resource>.
// An empty region leaves the region out (global services).
func NewARN(service, region, resource string) ARN {
	return ARN{
		IAM: fmt.Sprintf("arn:%s:%s:%s:%s:%s", *awscdk.Aws_PARTITION(), service, region, *awscdk.Aws_ACCOUNT_ID(), resource),
		Nag: fmt.Sprintf("arn:<AWS::Partition>:%s:%s:<AWS::AccountId>:%s", service, region, resource),
	}
}

// Policy collects the statements of one role. Apply adds them to the role
// and suppresses cdk-nag's AwsSolutions-IAM5 for exactly the wildcards they
// contain, each with the reason Explain gives for it.
type Policy struct {
	// Explain says why a wildcard is needed. It gets the wildcard as
	// cdk-nag prints it ("Action::kms:GenerateDataKey*" or
	// "Resource::arn:<AWS::Partition>:..."), and must return a reason for
	// every wildcard the policy uses.
	Explain    func(wildcard string) string
	statements []awsiam.PolicyStatement
	wildcards  []string
}

// Allow adds a statement.
func (p *Policy) Allow(actions []string, resources []ARN) {
	p.AllowIf(actions, resources, nil)
}

// AllowIf adds a statement with conditions.
func (p *Policy) AllowIf(actions []string, resources []ARN, conditions map[string]any) {
	iamResources := make([]*string, len(resources))
	for i, r := range resources {
		iamResources[i] = jsii.String(r.IAM)
	}
	props := &awsiam.PolicyStatementProps{
		Actions:   jsii.Strings(actions...),
		Resources: &iamResources,
	}
	if conditions != nil {
		props.Conditions = &conditions
	}
	p.statements = append(p.statements, awsiam.NewPolicyStatement(props))
	for _, a := range actions {
		if strings.Contains(a, "*") {
			p.wildcards = append(p.wildcards, "Action::"+a)
		}
	}
	for _, r := range resources {
		if strings.Contains(r.Nag, "*") {
			p.wildcards = append(p.wildcards, "Resource::"+r.Nag)
		}
	}
}

// Apply adds the statements to role and the IAM5 suppressions, each with
// its reason and the exact wildcard it covers, to the role's default policy.
func (p *Policy) Apply(role awsiam.Role) {
	for _, s := range p.statements {
		role.AddToPolicy(s)
	}
	if len(p.wildcards) == 0 {
		return
	}
	// One suppression per distinct reason, listing the wildcards it covers.
	byReason := map[string][]any{}
	var reasons []string
	slices.Sort(p.wildcards)
	for _, w := range slices.Compact(p.wildcards) {
		var reason string
		if p.Explain != nil {
			reason = p.Explain(w)
		}
		if reason == "" {
			panic("stacks: no reason given for the wildcard " + w)
		}
		if _, ok := byReason[reason]; !ok {
			reasons = append(reasons, reason)
		}
		byReason[reason] = append(byReason[reason], w)
	}
	suppressions := make([]*cdknag.NagPackSuppression, len(reasons))
	for i, r := range reasons {
		applies := byReason[r]
		suppressions[i] = &cdknag.NagPackSuppression{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String(r),
			AppliesTo: &applies,
		}
	}
	suppress(role.Node().FindChild(jsii.String("DefaultPolicy")), suppressions...)
}

// suppress adds cdk-nag suppressions to one construct: an L2 construct and
// the CloudFormation resource(s) it is made of.
func suppress(c constructs.IConstruct, s ...*cdknag.NagPackSuppression) {
	cdknag.NagSuppressions_AddResourceSuppressions(c, &s, jsii.Bool(true))
}

// suppression is a shorthand for a suppression of rule id with a reason.
func suppression(id, reason string, appliesTo ...string) *cdknag.NagPackSuppression {
	s := &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		applies := make([]any, len(appliesTo))
		for i, a := range appliesTo {
			applies[i] = a
		}
		s.AppliesTo = &applies
	}
	return s
}
