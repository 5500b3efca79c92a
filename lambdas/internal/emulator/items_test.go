package emulator

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type av = map[string]types.AttributeValue

func TestPutGetDelete(t *testing.T) {
	e := newEnv(t, Options{})
	createTable(t, e.a, "items")
	key := av{"pk": s("a"), "sk": n(1)}
	put := av{"pk": s("a"), "sk": n(1), "name": s("first"), "count": n(5)}

	if _, err := e.a.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("items"), Item: put}); err != nil {
		t.Fatal(err)
	}
	got, err := e.a.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("items"), Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if got.Item["name"].(*types.AttributeValueMemberS).Value != "first" {
		t.Errorf("GetItem = %#v", got.Item)
	}
	proj, err := e.a.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("items"), Key: key,
		ProjectionExpression: aws.String("#n"), ExpressionAttributeNames: map[string]string{"#n": "name"}})
	if err != nil || len(proj.Item) != 1 {
		t.Errorf("projected GetItem = %#v, %v", proj.Item, err)
	}

	// Nested projection keeps enclosing maps and collects list elements.
	nested := av{"pk": s("nest"), "sk": n(1),
		"doc": &types.AttributeValueMemberM{Value: av{"a": &types.AttributeValueMemberM{Value: av{"b": n(1), "c": n(2)}}}},
		"lst": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("x"), s("y"), s("z")}}}
	putItems(t, e.a, "items", []av{nested})
	np, err := e.a.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("items"), Key: av{"pk": s("nest"), "sk": n(1)},
		ProjectionExpression: aws.String("doc.a.b, lst[1]")})
	if err != nil {
		t.Fatal(err)
	}
	inner := np.Item["doc"].(*types.AttributeValueMemberM).Value["a"].(*types.AttributeValueMemberM).Value
	lst := np.Item["lst"].(*types.AttributeValueMemberL).Value
	if len(np.Item) != 2 || len(inner) != 1 || len(lst) != 1 || lst[0].(*types.AttributeValueMemberS).Value != "y" {
		t.Errorf("nested projection = %#v", np.Item)
	}

	// Overwrite returning the old item.
	old, err := e.a.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("items"), ReturnValues: types.ReturnValueAllOld,
		Item: av{"pk": s("a"), "sk": n(1), "name": s("second")}})
	if err != nil {
		t.Fatal(err)
	}
	if old.Attributes["name"].(*types.AttributeValueMemberS).Value != "first" {
		t.Errorf("ALL_OLD = %#v", old.Attributes)
	}

	// Numeric key comparison: 1.0 and 1 are the same key.
	got, err = e.a.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("items"), Key: av{"pk": s("a"), "sk": &types.AttributeValueMemberN{Value: "1.0"}}})
	if err != nil || got.Item == nil {
		t.Errorf("GetItem with 1.0: %v %v", got.Item, err)
	}

	del, err := e.a.DeleteItem(ctx(t), &dynamodb.DeleteItemInput{TableName: aws.String("items"), Key: key, ReturnValues: types.ReturnValueAllOld})
	if err != nil || del.Attributes == nil {
		t.Fatalf("DeleteItem: %v %v", del, err)
	}
	got, err = e.a.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("items"), Key: key})
	if err != nil || got.Item != nil {
		t.Errorf("item still there: %v %v", got.Item, err)
	}

	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"missing key attribute", func() error {
			_, err := e.a.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("items"), Item: av{"pk": s("a")}})
			return err
		}, "ValidationException"},
		{"wrong key type", func() error {
			_, err := e.a.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("items"), Item: av{"pk": n(1), "sk": n(1)}})
			return err
		}, "ValidationException"},
		{"extra key attribute", func() error {
			_, err := e.a.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("items"), Key: av{"pk": s("a"), "sk": n(1), "x": s("y")}})
			return err
		}, "ValidationException"},
		{"missing table", func() error {
			_, err := e.a.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("nope"), Key: key})
			return err
		}, "ResourceNotFoundException"},
		{"unused expression value", func() error {
			_, err := e.a.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("items"), Item: put,
				ExpressionAttributeValues: av{":unused": s("x")}})
			return err
		}, "ValidationException"},
		{"reserved word", func() error {
			_, err := e.a.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("items"), Item: put,
				ConditionExpression: aws.String("attribute_not_exists(status)")})
			return err
		}, "ValidationException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantAPIError(t, tc.call(), tc.code) })
	}
}

func TestItemsOnTableNotActive(t *testing.T) {
	e := newEnv(t, Options{Durations: Durations{TableCreate: time.Hour}})
	createTable(t, e.a, "creating")
	_, err := e.a.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("creating"), Item: av{"pk": s("a"), "sk": n(1)}})
	wantErrorAs[*types.ResourceNotFoundException](t, err)
}

// TestConditionExpressions exercises conditions the way a lock and a
// catalog table use them.
func TestConditionExpressions(t *testing.T) {
	e := newEnv(t, Options{})
	createTable(t, e.a, "locks")
	base := av{"pk": s("lock"), "sk": n(0), "owner": s("alice"), "expires": n(100), "state": s("held"), "tags": &types.AttributeValueMemberSS{Value: []string{"a", "b"}}}
	putItems(t, e.a, "locks", []av{base})

	tests := []struct {
		cond   string
		names  map[string]string
		values av
		pass   bool
	}{
		{"attribute_exists(pk)", nil, nil, true},
		{"attribute_not_exists(pk)", nil, nil, false},
		{"attribute_not_exists(nothing)", nil, nil, true},
		{"#o = :me", map[string]string{"#o": "owner"}, av{":me": s("alice")}, true},
		{"#o <> :me", map[string]string{"#o": "owner"}, av{":me": s("alice")}, false},
		{"expires < :now", nil, av{":now": n(200)}, true},
		{"expires <= :now", nil, av{":now": n(100)}, true},
		{"expires > :now", nil, av{":now": n(99)}, true},
		{"expires >= :now", nil, av{":now": n(101)}, false},
		{"expires < :now", nil, av{":now": &types.AttributeValueMemberN{Value: "1e3"}}, true},
		{"attribute_not_exists(pk) OR expires < :now", nil, av{":now": n(150)}, true},
		{"attribute_not_exists(pk) OR (expires < :now AND #o = :me)", map[string]string{"#o": "owner"}, av{":now": n(150), ":me": s("bob")}, false},
		{"NOT (#s = :held)", map[string]string{"#s": "state"}, av{":held": s("held")}, false},
		{"NOT attribute_exists(absent) AND expires BETWEEN :lo AND :hi", nil, av{":lo": n(50), ":hi": n(100)}, true},
		{"#s IN (:a, :b)", map[string]string{"#s": "state"}, av{":a": s("free"), ":b": s("held")}, true},
		{"begins_with(#o, :p)", map[string]string{"#o": "owner"}, av{":p": s("al")}, true},
		{"contains(tags, :t)", nil, av{":t": s("b")}, true},
		{"size(#o) = :five", map[string]string{"#o": "owner"}, av{":five": n(5)}, true},
		{"attribute_type(expires, :n)", nil, av{":n": s("N")}, true},
		{"expires = :s", nil, av{":s": s("100")}, false}, // different types are never equal
	}
	for _, tc := range tests {
		t.Run(tc.cond, func(t *testing.T) {
			_, err := e.a.PutItem(ctx(t), &dynamodb.PutItemInput{
				TableName: aws.String("locks"), Item: base,
				ConditionExpression: aws.String(tc.cond), ExpressionAttributeNames: tc.names, ExpressionAttributeValues: tc.values,
			})
			if tc.pass && err != nil {
				t.Fatalf("condition should pass: %v", err)
			}
			if !tc.pass {
				wantErrorAs[*types.ConditionalCheckFailedException](t, err)
			}
		})
	}

	// ReturnValuesOnConditionCheckFailure hands back the current item.
	_, err := e.a.DeleteItem(ctx(t), &dynamodb.DeleteItemInput{
		TableName: aws.String("locks"), Key: av{"pk": s("lock"), "sk": n(0)},
		ConditionExpression:                 aws.String("#o = :me"),
		ExpressionAttributeNames:            map[string]string{"#o": "owner"},
		ExpressionAttributeValues:           av{":me": s("mallory")},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	ccf := wantErrorAs[*types.ConditionalCheckFailedException](t, err)
	if ccf.Item["owner"].(*types.AttributeValueMemberS).Value != "alice" {
		t.Errorf("ConditionalCheckFailedException.Item = %#v", ccf.Item)
	}

	for _, bad := range []string{"owner = ", "attribute_exists(", "foo(pk)", "#undefined = :x", "pk = :undefined"} {
		t.Run("invalid "+bad, func(t *testing.T) {
			_, err := e.a.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("locks"), Item: base, ConditionExpression: aws.String(bad)})
			wantAPIError(t, err, "ValidationException")
		})
	}
}

func TestUpdateItem(t *testing.T) {
	e := newEnv(t, Options{})
	createTable(t, e.a, "catalog")
	key := av{"pk": s("c"), "sk": n(1)}
	update := func(expr string, names map[string]string, values av, rv types.ReturnValue, cond string) (av, error) {
		in := &dynamodb.UpdateItemInput{TableName: aws.String("catalog"), Key: key, UpdateExpression: aws.String(expr),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values, ReturnValues: rv}
		if cond != "" {
			in.ConditionExpression = aws.String(cond)
		}
		out, err := e.a.UpdateItem(ctx(t), in)
		if err != nil {
			return nil, err
		}
		return out.Attributes, nil
	}

	// Upsert with if_not_exists and a counter.
	got, err := update("SET #c = if_not_exists(#c, :zero) + :one, title = :t, #l = list_append(if_not_exists(#l, :empty), :item)",
		map[string]string{"#c": "count", "#l": "log"},
		av{":zero": n(0), ":one": n(1), ":t": s("hello"), ":empty": &types.AttributeValueMemberL{}, ":item": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("e1")}}},
		types.ReturnValueAllNew, "attribute_not_exists(pk)")
	if err != nil {
		t.Fatal(err)
	}
	if got["count"].(*types.AttributeValueMemberN).Value != "1" || got["title"].(*types.AttributeValueMemberS).Value != "hello" {
		t.Errorf("ALL_NEW = %#v", got)
	}
	got, err = update("SET #c = #c + :inc", map[string]string{"#c": "count"}, av{":inc": &types.AttributeValueMemberN{Value: "2.5"}}, types.ReturnValueAllNew, "")
	if err != nil {
		t.Fatal(err)
	}
	if v := got["count"].(*types.AttributeValueMemberN).Value; v != "3.5" {
		t.Errorf("count = %s, want 3.5", v)
	}
	got, err = update("REMOVE title ADD tags :t", nil, av{":t": &types.AttributeValueMemberSS{Value: []string{"x"}}}, types.ReturnValueAllOld, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["title"]; !ok {
		t.Errorf("ALL_OLD should hold the removed title: %#v", got)
	}
	item, err := e.a.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("catalog"), Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := item.Item["title"]; ok {
		t.Errorf("title not removed: %#v", item.Item)
	}
	if _, ok := item.Item["tags"].(*types.AttributeValueMemberSS); !ok {
		t.Errorf("tags not added: %#v", item.Item)
	}

	_, err = update("SET title = :t", nil, av{":t": s("x")}, types.ReturnValueNone, "attribute_not_exists(pk)")
	wantErrorAs[*types.ConditionalCheckFailedException](t, err)
	_, err = update("SET pk = :t", nil, av{":t": s("x")}, types.ReturnValueNone, "")
	wantAPIError(t, err, "ValidationException")
	_, err = update("SET nope = missing + :one", nil, av{":one": n(1)}, types.ReturnValueNone, "")
	wantAPIError(t, err, "ValidationException")
}

func TestQuery(t *testing.T) {
	e := newEnv(t, Options{})
	createTable(t, e.a, "events", func(in *dynamodb.CreateTableInput) {
		in.AttributeDefinitions = append(in.AttributeDefinitions,
			types.AttributeDefinition{AttributeName: aws.String("kind"), AttributeType: types.ScalarAttributeTypeS},
			types.AttributeDefinition{AttributeName: aws.String("name"), AttributeType: types.ScalarAttributeTypeS})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{
			IndexName: aws.String("by-kind"), Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String("kind"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
			},
		}}
		in.LocalSecondaryIndexes = []types.LocalSecondaryIndex{{
			IndexName: aws.String("by-name"), Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("name"), KeyType: types.KeyTypeRange},
			},
		}}
	})
	var items []av
	for i := range 30 {
		it := av{"pk": s("p"), "sk": n(i), "name": s(fmt.Sprintf("n%02d", 29-i)), "even": &types.AttributeValueMemberBOOL{Value: i%2 == 0}}
		if i%3 == 0 {
			it["kind"] = s("third")
		}
		items = append(items, it)
	}
	items = append(items, av{"pk": s("other"), "sk": n(1), "name": s("zz")})
	putItems(t, e.a, "events", items)

	sks := func(out *dynamodb.QueryOutput) string {
		var parts []string
		for _, it := range out.Items {
			parts = append(parts, it["sk"].(*types.AttributeValueMemberN).Value)
		}
		return strings.Join(parts, ",")
	}
	tests := []struct {
		name   string
		in     dynamodb.QueryInput
		want   string
		hasLEK bool
	}{
		{"hash only", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: av{":p": s("other")}}, "1", false},
		{"range <", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk < :v"), ExpressionAttributeValues: av{":p": s("p"), ":v": n(3)}}, "0,1,2", false},
		{"range <= reversed", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk <= :v"), ScanIndexForward: aws.Bool(false), ExpressionAttributeValues: av{":p": s("p"), ":v": n(2)}}, "2,1,0", false},
		{"range > numeric order", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk > :v"), ExpressionAttributeValues: av{":p": s("p"), ":v": n(26)}}, "27,28,29", false},
		{"range >=", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk >= :v"), ExpressionAttributeValues: av{":p": s("p"), ":v": n(28)}}, "28,29", false},
		{"range =", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk = :v"), ExpressionAttributeValues: av{":p": s("p"), ":v": n(7)}}, "7", false},
		{"between", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk BETWEEN :a AND :b"), ExpressionAttributeValues: av{":p": s("p"), ":a": n(10), ":b": n(12)}}, "10,11,12", false},
		{"limit", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), Limit: aws.Int32(2), ExpressionAttributeValues: av{":p": s("p")}}, "0,1", true},
		{"filter", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk < :v"), FilterExpression: aws.String("even = :t"), ExpressionAttributeValues: av{":p": s("p"), ":v": n(5), ":t": &types.AttributeValueMemberBOOL{Value: true}}}, "0,2,4", false},
		{"gsi", dynamodb.QueryInput{IndexName: aws.String("by-kind"), KeyConditionExpression: aws.String("kind = :k AND sk > :v"), ExpressionAttributeValues: av{":k": s("third"), ":v": n(20)}}, "21,24,27", false},
		{"lsi begins_with", dynamodb.QueryInput{IndexName: aws.String("by-name"), KeyConditionExpression: aws.String("pk = :p AND begins_with(#n, :pre)"), ExpressionAttributeNames: map[string]string{"#n": "name"}, ExpressionAttributeValues: av{":p": s("p"), ":pre": s("n0")}}, "29,28,27,26,25,24,23,22,21,20", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.TableName = aws.String("events")
			out, err := e.a.Query(ctx(t), &in)
			if err != nil {
				t.Fatal(err)
			}
			if got := sks(out); got != tc.want {
				t.Errorf("sk order = %s, want %s", got, tc.want)
			}
			if (out.LastEvaluatedKey != nil) != tc.hasLEK {
				t.Errorf("LastEvaluatedKey = %v", out.LastEvaluatedKey)
			}
		})
	}

	// KEYS_ONLY GSI projection returns only key attributes.
	out, err := e.a.Query(ctx(t), &dynamodb.QueryInput{TableName: aws.String("events"), IndexName: aws.String("by-kind"),
		KeyConditionExpression: aws.String("kind = :k"), ExpressionAttributeValues: av{":k": s("third")}, Limit: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out.Items[0]["name"]; ok || len(out.Items[0]) != 3 {
		t.Errorf("KEYS_ONLY item = %#v", out.Items[0])
	}
	if len(out.LastEvaluatedKey) != 3 {
		t.Errorf("GSI LastEvaluatedKey should hold table and index keys: %#v", out.LastEvaluatedKey)
	}

	// The SDK paginator walks a partition page by page, in both directions.
	for _, forward := range []bool{true, false} {
		p := dynamodb.NewQueryPaginator(e.a, &dynamodb.QueryInput{TableName: aws.String("events"), Limit: aws.Int32(4), ScanIndexForward: aws.Bool(forward),
			KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: av{":p": s("p")}})
		var seen []string
		for p.HasMorePages() {
			page, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if s := sks(page); s != "" {
				seen = append(seen, s)
			}
		}
		all := strings.Join(seen, ",")
		if forward && !strings.HasPrefix(all, "0,1,2,3,4,5") || !forward && !strings.HasPrefix(all, "29,28,27") || strings.Count(all, ",") != 29 {
			t.Errorf("forward=%v paginated order = %s", forward, all)
		}
	}

	bad := []struct {
		name string
		in   dynamodb.QueryInput
	}{
		{"no hash key", dynamodb.QueryInput{KeyConditionExpression: aws.String("sk = :v"), ExpressionAttributeValues: av{":v": n(1)}}},
		{"OR", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p OR sk = :v"), ExpressionAttributeValues: av{":p": s("p"), ":v": n(1)}}},
		{"non-key attribute", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND even = :v"), ExpressionAttributeValues: av{":p": s("p"), ":v": n(1)}}},
		{"unknown index", dynamodb.QueryInput{IndexName: aws.String("nope"), KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: av{":p": s("p")}}},
		{"consistent GSI", dynamodb.QueryInput{IndexName: aws.String("by-kind"), ConsistentRead: aws.Bool(true), KeyConditionExpression: aws.String("kind = :p"), ExpressionAttributeValues: av{":p": s("p")}}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.TableName = aws.String("events")
			_, err := e.a.Query(ctx(t), &in)
			wantAPIError(t, err, "ValidationException")
		})
	}
}

func TestScanPagination(t *testing.T) {
	e := newEnv(t, Options{})
	createTable(t, e.a, "big")
	// 30 items of ~100 KB: a page holds about 10 of them.
	payload := strings.Repeat("x", 100*1024)
	var items []av
	for i := range 30 {
		items = append(items, av{"pk": s(fmt.Sprintf("k%02d", i)), "sk": n(i), "data": s(payload)})
	}
	putItems(t, e.a, "big", items)

	var pages, total int
	var start av
	for {
		out, err := e.a.Scan(ctx(t), &dynamodb.ScanInput{TableName: aws.String("big"), ExclusiveStartKey: start})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		total += len(out.Items)
		if len(out.Items) > 11 {
			t.Fatalf("page of %d items exceeds the 1 MB cap", len(out.Items))
		}
		if out.LastEvaluatedKey == nil {
			break
		}
		start = out.LastEvaluatedKey
	}
	if total != 30 || pages < 3 {
		t.Errorf("scanned %d items in %d pages", total, pages)
	}

	count, err := e.a.Scan(ctx(t), &dynamodb.ScanInput{TableName: aws.String("big"), Select: types.SelectCount, Limit: aws.Int32(5),
		FilterExpression: aws.String("sk < :v"), ExpressionAttributeValues: av{":v": n(3)}})
	if err != nil {
		t.Fatal(err)
	}
	if count.ScannedCount != 5 || count.Items != nil {
		t.Errorf("COUNT scan: count %d scanned %d items %v", count.Count, count.ScannedCount, count.Items)
	}

	// Parallel scan segments partition the table.
	seen := 0
	for seg := range int32(3) {
		p := dynamodb.NewScanPaginator(e.a, &dynamodb.ScanInput{TableName: aws.String("big"), Segment: aws.Int32(seg), TotalSegments: aws.Int32(3), ProjectionExpression: aws.String("pk")})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			seen += len(page.Items)
		}
	}
	if seen != 30 {
		t.Errorf("segments saw %d items, want 30", seen)
	}
}

func TestBatchWriteItem(t *testing.T) {
	e := newEnv(t, Options{})
	createTable(t, e.a, "batch")
	putItems(t, e.a, "batch", []av{{"pk": s("gone"), "sk": n(0)}})
	var reqs []types.WriteRequest
	for i := range 24 {
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av{"pk": s("b"), "sk": n(i)}}})
	}
	reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: av{"pk": s("gone"), "sk": n(0)}}})
	out, err := e.a.BatchWriteItem(ctx(t), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"batch": reqs}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.UnprocessedItems) != 0 {
		t.Errorf("unprocessed: %v", out.UnprocessedItems)
	}
	if got := len(scanAll(t, e.a, "batch")); got != 24 {
		t.Errorf("table holds %d items, want 24", got)
	}

	get, err := e.a.BatchGetItem(ctx(t), &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"batch": {Keys: []av{{"pk": s("b"), "sk": n(1)}, {"pk": s("b"), "sk": n(99)}}},
	}})
	if err != nil || len(get.Responses["batch"]) != 1 {
		t.Errorf("BatchGetItem: %v %v", get, err)
	}

	tooMany := append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av{"pk": s("b"), "sk": n(100)}}})
	_, err = e.a.BatchWriteItem(ctx(t), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"batch": tooMany}})
	wantAPIError(t, err, "ValidationException")
	dup := []types.WriteRequest{reqs[0], reqs[0]}
	_, err = e.a.BatchWriteItem(ctx(t), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"batch": dup}})
	wantAPIError(t, err, "ValidationException")
}

// TestQueryAndCountsFollowWrites checks that Query reads each partition as
// the writes left it, and that ItemCount, TableSizeBytes and the index's
// counts and size equal those of a table given the same items in one go:
// overwrites, deletions, updates, batch writes and TTL deletions all count,
// and a restored table starts with its backup's.
func TestQueryAndCountsFollowWrites(t *testing.T) {
	e := newEnv(t, Options{Model: relaxed(func(m *Model) { m.StatsRefresh = 0; m.BackupsEnabling = 0 })})
	withIndex := func(in *dynamodb.CreateTableInput) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{
			IndexName:  aws.String("by-g"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}}
	}
	createTable(t, e.a, "written", withIndex)
	createTable(t, e.a, "once", withIndex)
	if _, err := e.a.UpdateTimeToLive(ctx(t), &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("written"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("exp")}}); err != nil {
		t.Fatal(err)
	}
	key := func(pk string, sk int) av { return av{"pk": s(pk), "sk": n(sk)} }
	with := func(it av, attrs av) av {
		out := av{}
		maps.Copy(out, it)
		maps.Copy(out, attrs)
		return out
	}
	big := s(strings.Repeat("x", 3000))

	for sk := 1; sk <= 12; sk++ {
		put := key("p1", sk)
		if sk%2 == 1 {
			put["g"] = s("odd")
		}
		putItems(t, e.a, "written", []av{put})
	}
	putItems(t, e.a, "written", []av{key("p2", 1), key("p2", 2), key("p2", 3)})
	putItems(t, e.a, "written", []av{with(key("p1", 2), av{"g": s("even"), "big": big})}) // overwrite
	if _, err := e.a.DeleteItem(ctx(t), &dynamodb.DeleteItemInput{TableName: aws.String("written"), Key: key("p1", 3)}); err != nil {
		t.Fatal(err)
	}
	update := func(k av, expression string, values av) {
		t.Helper()
		if _, err := e.a.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: aws.String("written"), Key: k,
			UpdateExpression: aws.String(expression), ExpressionAttributeValues: values}); err != nil {
			t.Fatal(err)
		}
	}
	update(key("p2", 4), "SET g = :g, big = :b", av{":g": s("even"), ":b": big}) // a new item
	update(key("p1", 1), "REMOVE g", nil)                                        // leaves the index
	if _, err := e.a.BatchWriteItem(ctx(t), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"written": {
		{DeleteRequest: &types.DeleteRequest{Key: key("p2", 1)}},
		{PutRequest: &types.PutRequest{Item: key("p3", 1)}},
	}}}); err != nil {
		t.Fatal(err)
	}
	putItems(t, e.a, "written", []av{with(key("p3", 2), av{"exp": n(1)})})
	if got := e.emu.ExpireTTL(); got != 1 {
		t.Fatalf("ExpireTTL deleted %d items, want 1", got)
	}

	final := []av{key("p1", 1), with(key("p1", 2), av{"g": s("even"), "big": big})}
	for sk := 4; sk <= 12; sk++ {
		it := key("p1", sk)
		if sk%2 == 1 {
			it["g"] = s("odd")
		}
		final = append(final, it)
	}
	final = append(final, key("p2", 2), key("p2", 3), with(key("p2", 4), av{"g": s("even"), "big": big}), key("p3", 1))
	putItems(t, e.a, "once", final)

	b := createBackup(t, e.a, "written", "written")
	if _, err := e.a.RestoreTableFromBackup(ctx(t), &dynamodb.RestoreTableFromBackupInput{BackupArn: b.BackupArn, TargetTableName: aws.String("restored")}); err != nil {
		t.Fatal(err)
	}

	// A partition read a page of 2 at a time, in each direction.
	partition := func(table, pk string, forward bool) string {
		t.Helper()
		p := dynamodb.NewQueryPaginator(e.a, &dynamodb.QueryInput{TableName: aws.String(table), Limit: aws.Int32(2), ScanIndexForward: aws.Bool(forward),
			KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: av{":p": s(pk)}})
		var sks []string
		for p.HasMorePages() {
			page, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range page.Items {
				sks = append(sks, it["sk"].(*types.AttributeValueMemberN).Value)
			}
		}
		return strings.Join(sks, ",")
	}
	wantPartitions := map[string]string{"p1": "1,2,4,5,6,7,8,9,10,11,12", "p2": "2,3,4", "p3": "1", "p4": ""}
	counts := func(table string) string {
		t.Helper()
		d := describe(t, e.a, table)
		ix := d.GlobalSecondaryIndexes[0]
		return fmt.Sprintf("%d items, %d bytes; index %d items, %d bytes",
			aws.ToInt64(d.ItemCount), aws.ToInt64(d.TableSizeBytes), aws.ToInt64(ix.ItemCount), aws.ToInt64(ix.IndexSizeBytes))
	}
	want := counts("once")
	for _, table := range []string{"written", "restored"} {
		for pk, sks := range wantPartitions {
			if got := partition(table, pk, true); got != sks {
				t.Errorf("%s, partition %s: %s, want %s", table, pk, got, sks)
			}
			reversed := strings.Split(sks, ",")
			slices.Reverse(reversed)
			if got := partition(table, pk, false); got != strings.Join(reversed, ",") {
				t.Errorf("%s, partition %s backwards: %s, want %s", table, pk, got, strings.Join(reversed, ","))
			}
		}
		if got := counts(table); got != want {
			t.Errorf("%s: %s; the same items written once: %s", table, got, want)
		}
	}
}
