package stacks

import (
	"encoding"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/core"
)

// Config is the deployment's configuration, read from the CDK context
// (infra/cdk.json, overridable with -c key=value): the handlers' settings,
// whose defaults and validation are core's, and the deployment's own.
type Config struct {
	// Settings are the handlers' settings; LoadConfig derives RunsPerDay
	// from Schedule.
	core.Settings
	// Account to deploy to; empty means the CLI's current account.
	Account string
	// Schedule is an EventBridge rate() or cron() expression; empty means
	// no scheduled runs.
	Schedule          string
	NotificationEmail string
	LogRetentionDays  int
	// StackPrefix starts every stack name, so that a second deployment
	// (a test, say) can live beside the first in one account.
	StackPrefix string
	// AssetDir holds bootstrap, the one Lambda binary (make build writes
	// build/lambda/bootstrap); it is every function's code.
	AssetDir string
	// StateMachineDir holds backup.asl.json and restore.asl.json.
	StateMachineDir string
	// AdoptCatalog lists the destination regions whose restore stack uses
	// the catalog table that is already there (left by an uninstall, which
	// retains it) instead of creating it.
	AdoptCatalog []string
}

// Defaults of the deployment's own settings; the handlers' are core's.
const (
	DefaultSchedule         = "rate(1 hour)"
	DefaultLogRetentionDays = 30
	DefaultStackPrefix      = "DynamodbXregion"
)

// ScheduleOff values switch the scheduled runs off.
var ScheduleOff = []string{"off", "none", "disabled", "false"}

// contextKeys names the handlers' settings as context keys: their JSON
// names, but for the catalog table.
var contextKeys = core.FieldNames{"catalogTable": "catalogTableName"}

// derivedSettings are the handlers' settings (by JSON name) that the
// deployment sets itself, with no context key: the runs a day follow from
// the schedule, and each stack names its own ledger table.
var derivedSettings = []string{"runsPerDay", "ledgerTable"}

// ConfigError is a configuration problem, named by its context key.
type ConfigError struct {
	Key     string
	Problem string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("invalid configuration: context key %q %s", e.Key, e.Problem)
}

// LoadConfig reads the configuration through get, which returns a context
// value (a string from -c, or any JSON value from cdk.json) or nil when the
// key is not set. defaultAccount is used when "account" is not set.
func LoadConfig(get func(key string) any, defaultAccount string) (Config, error) {
	r := reader{get: get}
	c := Config{
		Settings:         core.DefaultSettings(),
		Account:          defaultAccount,
		Schedule:         DefaultSchedule,
		LogRetentionDays: DefaultLogRetentionDays,
		StackPrefix:      DefaultStackPrefix,
	}
	r.str("account", &c.Account)
	r.settings(&c.Settings)
	r.str("schedule", &c.Schedule)
	r.str("notificationEmail", &c.NotificationEmail)
	r.num("logRetentionDays", &c.LogRetentionDays)
	r.str("stackPrefix", &c.StackPrefix)
	r.str("assetDir", &c.AssetDir)
	r.str("stateMachineDir", &c.StateMachineDir)
	r.list("adoptCatalog", &c.AdoptCatalog)
	if slices.Contains(ScheduleOff, strings.ToLower(c.Schedule)) {
		c.Schedule = ""
	}
	if r.err != nil {
		return Config{}, r.err
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	c.RunsPerDay = runsPerDay(c.Schedule)
	return c, nil
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	emailRE   = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	rateRE    = regexp.MustCompile(`^rate\(([0-9]+) (minutes?|hours?|days?)\)$`)
	cronRE    = regexp.MustCompile(`^cron\(([^()]+)\)$`)
	prefixRE  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,39}$`)
)

// retentionDays maps the retention periods CloudWatch Logs accepts to CDK's
// names for them.
var retentionDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

func (c Config) logRetention() awslogs.RetentionDays { return retentionDays[c.LogRetentionDays] }

// Validate reports the first problem in c, naming its context key. The
// handlers' settings are checked by core, as the handlers check them, and
// must fit in the Lambda environment.
func (c Config) Validate() error {
	bad := func(key, format string, args ...any) error {
		return &ConfigError{Key: key, Problem: fmt.Sprintf(format, args...)}
	}
	if c.Account != "" && !accountRE.MatchString(c.Account) {
		return bad("account", "must be a 12-digit AWS account id, got %q", c.Account)
	}
	if err := c.Settings.Validate(contextKeys); err != nil {
		return contextError(err)
	}
	if _, err := c.Environment(); err != nil {
		return contextError(err)
	}
	if err := validateSchedule(c.Schedule); err != nil {
		return bad("schedule", "%v", err)
	}
	if c.NotificationEmail != "" && !emailRE.MatchString(c.NotificationEmail) {
		return bad("notificationEmail", "%q is not an email address", c.NotificationEmail)
	}
	if _, ok := retentionDays[c.LogRetentionDays]; !ok {
		return bad("logRetentionDays", "must be one of the periods CloudWatch Logs accepts (%s), got %d",
			strings.Trim(fmt.Sprint(slices.Sorted(maps.Keys(retentionDays))), "[]"), c.LogRetentionDays)
	}
	for _, r := range c.AdoptCatalog {
		if !slices.Contains(c.DestinationRegions, r) {
			return bad("adoptCatalog", "names %q, which is not a destination region (%s)", r, strings.Join(c.DestinationRegions, ", "))
		}
	}
	if !prefixRE.MatchString(c.StackPrefix) {
		return bad("stackPrefix", "%q must start with a letter and hold at most 40 letters, digits and hyphens", c.StackPrefix)
	}
	return nil
}

// contextError turns core's InvalidInput into a ConfigError that names the
// context key.
func contextError(err error) error {
	var invalid *core.InvalidInput
	if errors.As(err, &invalid) {
		return &ConfigError{Key: contextKeys.Name(invalid.Field), Problem: invalid.Problem}
	}
	return err
}

// validateSchedule checks the syntax EventBridge accepts for rate() and
// cron() expressions. An empty schedule means no scheduled runs.
func validateSchedule(s string) error {
	if s == "" {
		return nil
	}
	if m := rateRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		switch {
		case err != nil || n < 1:
			return fmt.Errorf("%q needs a positive whole number, as in rate(1 hour)", s)
		case n == 1 && strings.HasSuffix(m[2], "s"):
			return fmt.Errorf("%q must use the singular unit for 1, as in rate(1 hour)", s)
		case n > 1 && !strings.HasSuffix(m[2], "s"):
			return fmt.Errorf("%q must use the plural unit above 1, as in rate(2 hours)", s)
		}
		return nil
	}
	if m := cronRE.FindStringSubmatch(s); m != nil {
		fields := strings.Fields(m[1])
		if len(fields) != 6 {
			return fmt.Errorf("%q must have 6 fields (minutes hours day-of-month month day-of-week year), as in cron(0 * * * ? *)", s)
		}
		if fields[2] != "?" && fields[4] != "?" {
			return fmt.Errorf("%q must use ? in either day-of-month or day-of-week", s)
		}
		return nil
	}
	return fmt.Errorf("%q is not a schedule expression: use rate(1 hour), cron(0 * * * ? *) or off", s)
}

// runsPerDay is how often a valid schedule runs, for the handlers' cost
// projection: exact for rate(), and for cron() the runs of a day whose
// minutes and hours fields are plain lists, ranges or *; 0 when off.
func runsPerDay(schedule string) float64 {
	if m := rateRE.FindStringSubmatch(schedule); m != nil {
		return float64(24*time.Hour) / float64(rateInterval(m))
	}
	if m := cronRE.FindStringSubmatch(schedule); m != nil {
		fields := strings.Fields(m[1])
		minutes, _ := cronValues(fields[0], 60)
		hours, _ := cronValues(fields[1], 24)
		return float64(len(minutes) * len(hours))
	}
	return 0
}

// ScheduleInterval is the longest time between two runs of a valid
// schedule: a rate()'s rate, or the longest gap between the runs of a
// cron() that runs every day (day-of-month and day-of-week * or ?, every
// month and year), across midnight too. It reports false for no schedule
// and for a cron() whose gaps it cannot tell (certain days, L, W, #).
func ScheduleInterval(schedule string) (time.Duration, bool) {
	if m := rateRE.FindStringSubmatch(schedule); m != nil {
		return rateInterval(m), true
	}
	m := cronRE.FindStringSubmatch(schedule)
	if m == nil {
		return 0, false
	}
	f := strings.Fields(m[1])
	anyDay := func(v string) bool { return v == "*" || v == "?" }
	minutes, okM := cronValues(f[0], 60)
	hours, okH := cronValues(f[1], 24)
	if !okM || !okH || !anyDay(f[2]) || f[3] != "*" || !anyDay(f[4]) || f[5] != "*" || len(minutes)*len(hours) == 0 {
		return 0, false
	}
	var times []int // minutes of the day
	for _, h := range hours {
		for _, min := range minutes {
			times = append(times, h*60+min)
		}
	}
	longest := times[0] + 24*60 - times[len(times)-1] // across midnight
	for i := 1; i < len(times); i++ {
		longest = max(longest, times[i]-times[i-1])
	}
	return time.Duration(longest) * time.Minute, true
}

// rateInterval is the rate of a rateRE match.
func rateInterval(m []string) time.Duration {
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.TrimSuffix(m[2], "s")]
	return time.Duration(n) * unit
}

// cronValues returns, sorted, the values a cron field selects out of
// 0..size-1: "*", a number, a comma list, a range a-b, or a step */n or
// a/n. It reports false when a part is not a number (a name, L, W, #),
// which it reads as the whole range.
func cronValues(field string, size int) ([]int, bool) {
	ok := true
	num := func(s string, fallback int) int {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n >= size {
			ok = false
			return fallback
		}
		return n
	}
	selected := make([]bool, size)
	for _, part := range strings.Split(field, ",") {
		base, step := part, 1
		if b, s, found := strings.Cut(part, "/"); found {
			base, step = b, max(1, num(s, 1))
		}
		lo, hi := 0, size-1
		switch {
		case base == "*":
		case strings.Contains(base, "-"):
			a, b, _ := strings.Cut(base, "-")
			lo, hi = num(a, 0), num(b, size-1)
		default:
			lo = num(base, 0)
			if step == 1 {
				hi = lo
			}
		}
		for v := lo; v <= hi; v += step {
			selected[v] = true
		}
	}
	var out []int
	for v, on := range selected {
		if on {
			out = append(out, v)
		}
	}
	return out, ok
}

// reader converts context values, remembering the first type error. Each
// method sets *dst from a key that is set, and leaves it alone otherwise.
type reader struct {
	get func(string) any
	err error
}

func (r *reader) fail(key, format string, args ...any) {
	r.failWith(&ConfigError{Key: key, Problem: fmt.Sprintf(format, args...)})
}

func (r *reader) failWith(err error) {
	if r.err == nil {
		r.err = contextError(err)
	}
}

// settings reads each of the handlers' settings, but the derived ones,
// from its context key, so that a setting added to core.Settings can be
// configured without a change here. The key is the setting's JSON name, or
// contextKeys' name for it; its type says how to read the value.
func (r *reader) settings(s *core.Settings) {
	v := reflect.ValueOf(s).Elem()
	for i := range v.NumField() {
		field := v.Type().Field(i)
		name, _, _ := strings.Cut(field.Tag.Get("json"), ",")
		if name == "" || name == "-" || slices.Contains(derivedSettings, name) {
			continue
		}
		key := contextKeys.Name(name)
		switch dst := v.Field(i).Addr().Interface().(type) {
		case *string:
			r.str(key, dst)
		case *int:
			r.num(key, dst)
		case *bool:
			r.boolean(key, dst)
		case *[]string:
			r.list(key, dst)
		case *map[string]string:
			r.tags(key, dst)
		default:
			if !r.text(key, v.Field(i)) && r.err == nil {
				r.err = fmt.Errorf("the setting %s is a %s, which the CDK app cannot read from the context; add its type to reader.settings",
					name, field.Type)
			}
		}
	}
}

// text reads a setting whose type parses itself from text
// (encoding.TextUnmarshaler, as core's periods, tiers and RPO rules do): a
// value, a pointer to one (set only when the key is), or a list of them.
// It reports whether f is such a setting.
func (r *reader) text(key string, f reflect.Value) bool {
	parse := func(dst reflect.Value, text string) {
		err := dst.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(text))
		if invalid := (*core.InvalidInput)(nil); errors.As(err, &invalid) {
			r.fail(key, "%q: %s", text, invalid.Problem)
		} else if err != nil {
			r.fail(key, "%s", err)
		}
	}
	unmarshaler := reflect.TypeFor[encoding.TextUnmarshaler]()
	switch t := f.Type(); {
	case reflect.PointerTo(t).Implements(unmarshaler):
		var text string
		if r.str(key, &text); text != "" {
			parse(f, text)
		}
	case t.Kind() == reflect.Pointer && t.Implements(unmarshaler):
		var text string
		if r.str(key, &text); text != "" {
			f.Set(reflect.New(t.Elem()))
			parse(f.Elem(), text)
		}
	case t.Kind() == reflect.Slice && reflect.PointerTo(t.Elem()).Implements(unmarshaler):
		var items []string
		if r.list(key, &items); items != nil {
			f.Set(reflect.MakeSlice(t, len(items), len(items)))
			for i, item := range items {
				parse(f.Index(i), item)
			}
		}
	default:
		return false
	}
	return true
}

func (r *reader) str(key string, dst *string) {
	switch v := r.get(key).(type) {
	case nil:
	case string:
		if v = strings.TrimSpace(v); v != "" {
			*dst = v
		}
	case float64:
		*dst = strconv.FormatFloat(v, 'f', -1, 64)
	default:
		r.fail(key, "must be a string, got %T", v)
	}
}

func (r *reader) num(key string, dst *int) {
	switch v := r.get(key).(type) {
	case nil:
	case float64:
		if v != float64(int(v)) {
			r.fail(key, "must be a whole number, got %v", v)
		}
		*dst = int(v)
	case string:
		if strings.TrimSpace(v) == "" {
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			r.fail(key, "must be a whole number, got %q", v)
		}
		*dst = n
	default:
		r.fail(key, "must be a whole number, got %T", v)
	}
}

func (r *reader) boolean(key string, dst *bool) {
	switch v := r.get(key).(type) {
	case nil:
	case bool:
		*dst = v
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			r.fail(key, "must be true or false, got %q", v)
		}
		*dst = b
	default:
		r.fail(key, "must be true or false, got %T", v)
	}
}

// list accepts a JSON array of strings or a comma-separated string.
func (r *reader) list(key string, dst *[]string) {
	switch v := r.get(key).(type) {
	case nil:
	case string:
		if strings.TrimSpace(v) == "" {
			return
		}
		items, err := core.SplitList(key, v)
		if err != nil {
			r.failWith(err)
			return
		}
		*dst = items
	case []any:
		items := make([]string, len(v))
		for i, item := range v {
			s, ok := item.(string)
			if !ok {
				r.fail(key, "must be a list of strings, got an item of type %T", item)
				return
			}
			if items[i] = strings.TrimSpace(s); items[i] == "" {
				r.fail(key, "has an empty item")
				return
			}
		}
		*dst = items
	default:
		r.fail(key, "must be a list of strings or a comma-separated string, got %T", v)
	}
}

// tags accepts a JSON object of strings or "k=v,k2=v2".
func (r *reader) tags(key string, dst *map[string]string) {
	switch v := r.get(key).(type) {
	case nil:
	case string:
		if strings.TrimSpace(v) == "" {
			return
		}
		tags, err := core.ParseTagFilter(key, v)
		if err != nil {
			r.failWith(err)
			return
		}
		*dst = tags
	case map[string]any:
		tags := make(map[string]string, len(v))
		for k, val := range v {
			s, ok := val.(string)
			if !ok {
				r.fail(key, "value of tag %q must be a string, got %T", k, val)
				return
			}
			tags[k] = s
		}
		*dst = tags
	default:
		r.fail(key, "must be key=value pairs or a JSON object, got %T", v)
	}
}

// AsConfigError reports whether err is a configuration problem.
func AsConfigError(err error) (*ConfigError, bool) {
	var ce *ConfigError
	ok := errors.As(err, &ce)
	return ce, ok
}
