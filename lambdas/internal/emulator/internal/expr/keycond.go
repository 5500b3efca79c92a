package expr

import "github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/wire"

// KeyCondition parses a KeyConditionExpression and checks that it has
// the shape DynamoDB accepts: partition key equality, optionally AND one
// sort key condition. It also returns the partition key value the
// condition selects, in the canonical form of [Canonical].
func (env *Env) KeyCondition(src string, ks []wire.KeySchemaElement) (Condition, string, error) {
	cond, err := parseCondition("KeyConditionExpression", src, env)
	if err != nil {
		return nil, "", err
	}
	var parts []Condition
	var flatten func(c Condition) error
	flatten = func(c Condition) error {
		switch c := c.(type) {
		case andCond:
			if err := flatten(c.left); err != nil {
				return err
			}
			return flatten(c.right)
		case parenCond:
			return flatten(c.inner)
		case orCond, notCond:
			return wire.Validation("Invalid operator used in KeyConditionExpression: %s", map[bool]string{true: "OR", false: "NOT"}[isOr(c)])
		}
		parts = append(parts, c)
		return nil
	}
	if err := flatten(cond); err != nil {
		return nil, "", err
	}
	if len(parts) > 2 {
		return nil, "", wire.Validation("Conditions can be of length 1 or 2 only")
	}
	hash := ks[0].AttributeName
	rangeKey := ""
	if len(ks) > 1 {
		rangeKey = ks[1].AttributeName
	}
	partition, sawHash := "", false
	for _, p := range parts {
		name, op, err := keyConditionTarget(p)
		if err != nil {
			return nil, "", err
		}
		switch {
		case name == hash && op == "=":
			partition, sawHash = canonical(p.(compareCond).right.(valueOperand).value), true
		case name == hash:
			return nil, "", wire.Validation("Query key condition not supported")
		case name == rangeKey && op != "<>" && op != "IN" && op != "contains":
		default:
			return nil, "", wire.Validation("Query condition missed key schema element: %s", hash)
		}
	}
	if !sawHash {
		return nil, "", wire.Validation("Query condition missed key schema element: %s", hash)
	}
	return cond, partition, nil
}

func isOr(c Condition) bool { _, ok := c.(orCond); return ok }

// keyConditionTarget returns the key attribute and operator of one key
// condition term.
func keyConditionTarget(c Condition) (string, string, error) {
	pathName := func(o operand) (string, bool) {
		p, ok := o.(pathOperand)
		if !ok || len(p.path) != 1 {
			return "", false
		}
		return p.path[0].name, true
	}
	switch c := c.(type) {
	case compareCond:
		if name, ok := pathName(c.left); ok {
			if _, isValue := c.right.(valueOperand); isValue {
				return name, c.op, nil
			}
		}
	case betweenCond:
		if name, ok := pathName(c.value); ok {
			return name, "BETWEEN", nil
		}
	case funcCond:
		if c.name == "begins_with" && len(c.path) == 1 {
			return c.path[0].name, c.name, nil
		}
		return "", "", wire.Validation("Invalid operator used in KeyConditionExpression: %s", c.name)
	case inCond:
		return "", "", wire.Validation("Invalid operator used in KeyConditionExpression: IN")
	}
	return "", "", wire.Validation("Query key condition not supported")
}
