package stacks

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
)

// Config is the deployment's configuration, read from the CDK context
// (infra/cdk.json, overridable with -c key=value).
type Config struct {
	// Account to deploy to; empty means the CLI's current account.
	Account            string
	SourceRegion       string
	DestinationRegions []string
	// Schedule is an EventBridge rate() or cron() expression; empty means
	// no scheduled runs.
	Schedule          string
	RetentionDays     int
	KeepLast          int
	Include           []string
	Exclude           []string
	TagFilter         map[string]string
	KMSKeyID          string
	MaxConcurrency    int
	DryRun            bool
	SweepAfterHours   int
	PollLimitMinutes  int
	NotificationEmail string
	LogRetentionDays  int
	CatalogTableName  string
	// StackPrefix starts every stack name, so that a second deployment
	// (a test, say) can live beside the first in one account.
	StackPrefix string
	// AssetDir holds <handler>/bootstrap for every handler.
	AssetDir string
	// StateMachineDir holds backup.asl.json and restore.asl.json.
	StateMachineDir string
}

// Defaults, the same as the handlers' own.
const (
	DefaultSchedule         = "rate(1 hour)"
	DefaultRetentionDays    = 7
	DefaultKeepLast         = 3
	DefaultMaxConcurrency   = 10
	DefaultSweepAfterHours  = 36
	DefaultPollLimitMinutes = 12 * 60
	DefaultLogRetentionDays = 30
	DefaultCatalogTableName = "xregion-backup-catalog"
	DefaultStackPrefix      = "DynamodbXregion"
)

// ScheduleOff values switch the scheduled runs off.
var ScheduleOff = []string{"off", "none", "disabled", "false"}

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
		Account:            r.str("account", defaultAccount),
		SourceRegion:       r.str("sourceRegion", ""),
		DestinationRegions: r.list("destinationRegions", nil),
		Schedule:           r.str("schedule", DefaultSchedule),
		RetentionDays:      r.num("retentionDays", DefaultRetentionDays),
		KeepLast:           r.num("keepLast", DefaultKeepLast),
		Include:            r.list("include", []string{"*"}),
		Exclude:            r.list("exclude", nil),
		TagFilter:          r.tags("tagFilter"),
		KMSKeyID:           r.str("kmsKeyId", ""),
		MaxConcurrency:     r.num("maxConcurrency", DefaultMaxConcurrency),
		DryRun:             r.boolean("dryRun", false),
		SweepAfterHours:    r.num("sweepAfterHours", DefaultSweepAfterHours),
		PollLimitMinutes:   r.num("pollLimitMinutes", DefaultPollLimitMinutes),
		NotificationEmail:  r.str("notificationEmail", ""),
		LogRetentionDays:   r.num("logRetentionDays", DefaultLogRetentionDays),
		CatalogTableName:   r.str("catalogTableName", DefaultCatalogTableName),
		StackPrefix:        r.str("stackPrefix", DefaultStackPrefix),
		AssetDir:           r.str("assetDir", ""),
		StateMachineDir:    r.str("stateMachineDir", ""),
	}
	if slices.Contains(ScheduleOff, strings.ToLower(c.Schedule)) {
		c.Schedule = ""
	}
	if r.err != nil {
		return Config{}, r.err
	}
	return c, c.Validate()
}

var (
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	emailRE   = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	rateRE    = regexp.MustCompile(`^rate\(([0-9]+) (minutes?|hours?|days?)\)$`)
	cronRE    = regexp.MustCompile(`^cron\(([^()]+)\)$`)
	kmsRE     = regexp.MustCompile(`^(alias/[a-zA-Z0-9/_-]+|(mrk-)?[0-9a-f]{8}-?[0-9a-f-]{0,40}|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[a-zA-Z0-9/_-]+)$`)
	prefixRE  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,39}$`)
	tableRE   = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)
	globRE    = regexp.MustCompile(`^[a-zA-Z0-9_.*?\[\]!-]+$`)
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

// Validate reports the first problem in c, naming its context key.
func (c Config) Validate() error {
	bad := func(key, format string, args ...any) error {
		return &ConfigError{Key: key, Problem: fmt.Sprintf(format, args...)}
	}
	if c.Account != "" && !accountRE.MatchString(c.Account) {
		return bad("account", "must be a 12-digit AWS account id, got %q", c.Account)
	}
	if c.SourceRegion == "" {
		return bad("sourceRegion", "is required: the region whose tables are backed up, such as us-east-1")
	}
	if !regionRE.MatchString(c.SourceRegion) {
		return bad("sourceRegion", "%q is not an AWS region name such as us-east-1", c.SourceRegion)
	}
	if len(c.DestinationRegions) == 0 {
		return bad("destinationRegions", "is required: at least one region to copy backups to")
	}
	for i, r := range c.DestinationRegions {
		switch {
		case !regionRE.MatchString(r):
			return bad("destinationRegions", "%q is not an AWS region name such as us-west-2", r)
		case r == c.SourceRegion:
			return bad("destinationRegions", "%q is the source region; a cross-region copy needs another region", r)
		case slices.Contains(c.DestinationRegions[:i], r):
			return bad("destinationRegions", "lists %q twice", r)
		}
	}
	if err := validateSchedule(c.Schedule); err != nil {
		return bad("schedule", "%v", err)
	}
	if c.RetentionDays < 1 || c.RetentionDays > 36500 {
		return bad("retentionDays", "must be a whole number of days from 1 to 36500, got %d", c.RetentionDays)
	}
	if c.KeepLast < 1 || c.KeepLast > 1000 {
		return bad("keepLast", "must be from 1 to 1000, got %d", c.KeepLast)
	}
	if len(c.Include) == 0 {
		return bad("include", "must hold at least one pattern; use * for every table")
	}
	for key, patterns := range map[string][]string{"include": c.Include, "exclude": c.Exclude} {
		for _, p := range patterns {
			if !globRE.MatchString(p) {
				return bad(key, "%q is not a table-name glob (letters, digits, _ . - and the wildcards * ? [...])", p)
			}
		}
	}
	for k, v := range c.TagFilter {
		if k == "" || strings.ContainsAny(k+v, ",=") {
			return bad("tagFilter", "has an invalid entry %q=%q; write key=value pairs such as backup=true,env=prod", k, v)
		}
	}
	if c.KMSKeyID != "" {
		if !kmsRE.MatchString(c.KMSKeyID) {
			return bad("kmsKeyId", "%q is not a KMS key id, key ARN, alias name (alias/...) or alias ARN", c.KMSKeyID)
		}
		if r := arnRegion(c.KMSKeyID); r != "" && (len(c.DestinationRegions) > 1 || r != c.DestinationRegions[0]) {
			return bad("kmsKeyId", "is an ARN in %s, but restores run in %s; use an alias or a multi-Region key id that exists in every destination region",
				r, strings.Join(c.DestinationRegions, ", "))
		}
	}
	if c.MaxConcurrency < 1 || c.MaxConcurrency > 1000 {
		return bad("maxConcurrency", "must be from 1 to 1000, got %d", c.MaxConcurrency)
	}
	if c.SweepAfterHours < 1 {
		return bad("sweepAfterHours", "must be at least 1 hour, got %d", c.SweepAfterHours)
	}
	if c.PollLimitMinutes < 1 || c.PollLimitMinutes > 7*24*60 {
		return bad("pollLimitMinutes", "must be from 1 to 10080 (one week), got %d", c.PollLimitMinutes)
	}
	// The handlers refuse a sweep bound a live run's temporary table could
	// outlast (two poll limits); refuse it here too, before deploying.
	if need := 2*c.PollLimitMinutes + 180; c.SweepAfterHours*60 < need { // as the handlers require
		return bad("sweepAfterHours", "must be at least %d hours with pollLimitMinutes %d, so the sweeper never deletes a live run's temporary table", (need+59)/60, c.PollLimitMinutes)
	}
	if c.NotificationEmail != "" && !emailRE.MatchString(c.NotificationEmail) {
		return bad("notificationEmail", "%q is not an email address", c.NotificationEmail)
	}
	if _, ok := retentionDays[c.LogRetentionDays]; !ok {
		return bad("logRetentionDays", "must be one of the periods CloudWatch Logs accepts (%s), got %d",
			strings.Trim(fmt.Sprint(slices.Sorted(maps.Keys(retentionDays))), "[]"), c.LogRetentionDays)
	}
	if !tableRE.MatchString(c.CatalogTableName) {
		return bad("catalogTableName", "%q is not a DynamoDB table name (3 to 255 of a-z A-Z 0-9 _ . -)", c.CatalogTableName)
	}
	if !prefixRE.MatchString(c.StackPrefix) {
		return bad("stackPrefix", "%q must start with a letter and hold at most 40 letters, digits and hyphens", c.StackPrefix)
	}
	return nil
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

// arnRegion returns the region of an ARN, or "" for anything else.
func arnRegion(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}

// Environment is the Lambda environment that carries c to the handlers.
// Every setting is present; an empty value means not set.
func (c Config) Environment() map[string]string {
	env := map[string]string{
		"SOURCE_REGION":       c.SourceRegion,
		"DESTINATION_REGIONS": strings.Join(c.DestinationRegions, ","),
		"RETENTION_DAYS":      strconv.Itoa(c.RetentionDays),
		"KEEP_LAST":           strconv.Itoa(c.KeepLast),
		"INCLUDE":             strings.Join(c.Include, ","),
		"EXCLUDE":             strings.Join(c.Exclude, ","),
		"TAG_FILTER":          joinTags(c.TagFilter),
		"KMS_KEY_ID":          c.KMSKeyID,
		"MAX_CONCURRENCY":     strconv.Itoa(c.MaxConcurrency),
		"DRY_RUN":             strconv.FormatBool(c.DryRun),
		"SWEEP_AFTER_HOURS":   strconv.Itoa(c.SweepAfterHours),
		"POLL_LIMIT_MINUTES":  strconv.Itoa(c.PollLimitMinutes),
		"CATALOG_TABLE":       c.CatalogTableName,
		"RUNS_PER_DAY":        strconv.FormatFloat(runsPerDay(c.Schedule), 'f', -1, 64),
	}
	return env
}

// runsPerDay is how often a valid schedule runs, for the handlers' cost
// projection: exact for rate(), and for cron() the runs of a day whose
// minutes and hours fields are plain lists, ranges or *; 0 when off.
func runsPerDay(schedule string) float64 {
	if m := rateRE.FindStringSubmatch(schedule); m != nil {
		n, _ := strconv.Atoi(m[1])
		perDay := map[string]float64{"minute": 24 * 60, "hour": 24, "day": 1}[strings.TrimSuffix(m[2], "s")]
		return perDay / float64(n)
	}
	if m := cronRE.FindStringSubmatch(schedule); m != nil {
		fields := strings.Fields(m[1])
		return float64(cronCount(fields[0], 60) * cronCount(fields[1], 24))
	}
	return 0
}

// cronCount counts the values a cron field selects out of size: "*", a
// number, a comma list, a range a-b, or a step */n or a/n.
func cronCount(field string, size int) int {
	total := 0
	for _, part := range strings.Split(field, ",") {
		base, step := part, 1
		if b, s, ok := strings.Cut(part, "/"); ok {
			base, step = b, max(1, atoiOr(s, 1))
		}
		lo, hi := 0, size-1
		switch {
		case base == "*":
		case strings.Contains(base, "-"):
			a, b, _ := strings.Cut(base, "-")
			lo, hi = atoiOr(a, 0), atoiOr(b, size-1)
		default:
			lo = atoiOr(base, 0)
			if step == 1 {
				hi = lo
			}
		}
		total += (hi-lo)/step + 1
	}
	return total
}

func atoiOr(s string, fallback int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return fallback
}

func joinTags(tags map[string]string) string {
	pairs := make([]string, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		pairs = append(pairs, k+"="+tags[k])
	}
	return strings.Join(pairs, ",")
}

// reader converts context values, remembering the first type error.
type reader struct {
	get func(string) any
	err error
}

func (r *reader) fail(key, format string, args ...any) {
	if r.err == nil {
		r.err = &ConfigError{Key: key, Problem: fmt.Sprintf(format, args...)}
	}
}

func (r *reader) str(key, def string) string {
	switch v := r.get(key).(type) {
	case nil:
		return def
	case string:
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
		return def
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		r.fail(key, "must be a string, got %T", v)
		return def
	}
}

func (r *reader) num(key string, def int) int {
	switch v := r.get(key).(type) {
	case nil:
		return def
	case float64:
		if v != float64(int(v)) {
			r.fail(key, "must be a whole number, got %v", v)
		}
		return int(v)
	case string:
		if strings.TrimSpace(v) == "" {
			return def
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			r.fail(key, "must be a whole number, got %q", v)
		}
		return n
	default:
		r.fail(key, "must be a whole number, got %T", v)
		return def
	}
}

func (r *reader) boolean(key string, def bool) bool {
	switch v := r.get(key).(type) {
	case nil:
		return def
	case bool:
		return v
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			r.fail(key, "must be true or false, got %q", v)
		}
		return b
	default:
		r.fail(key, "must be true or false, got %T", v)
		return def
	}
}

// list accepts a JSON array of strings or a comma-separated string.
func (r *reader) list(key string, def []string) []string {
	var items []string
	switch v := r.get(key).(type) {
	case nil:
		return def
	case string:
		if strings.TrimSpace(v) == "" {
			return def
		}
		items = strings.Split(v, ",")
	case []any:
		for _, item := range v {
			s, ok := item.(string)
			if !ok {
				r.fail(key, "must be a list of strings, got an item of type %T", item)
				return def
			}
			items = append(items, s)
		}
	default:
		r.fail(key, "must be a list of strings or a comma-separated string, got %T", v)
		return def
	}
	for i := range items {
		items[i] = strings.TrimSpace(items[i])
		if items[i] == "" {
			r.fail(key, "has an empty item; write a comma-separated list such as a,b")
			return def
		}
	}
	return items
}

// tags accepts a JSON object of strings or "k=v,k2=v2".
func (r *reader) tags(key string) map[string]string {
	out := map[string]string{}
	switch v := r.get(key).(type) {
	case nil:
	case string:
		if strings.TrimSpace(v) == "" {
			break
		}
		for item := range strings.SplitSeq(v, ",") {
			k, val, ok := strings.Cut(item, "=")
			if !ok || strings.TrimSpace(k) == "" {
				r.fail(key, "%q is not key=value; write e.g. backup=true,env=prod", strings.TrimSpace(item))
				return nil
			}
			out[strings.TrimSpace(k)] = strings.TrimSpace(val)
		}
	case map[string]any:
		for k, val := range v {
			s, ok := val.(string)
			if !ok {
				r.fail(key, "value of tag %q must be a string, got %T", k, val)
				return nil
			}
			out[k] = s
		}
	default:
		r.fail(key, "must be key=value pairs or a JSON object, got %T", v)
	}
	return out
}

// AsConfigError reports whether err is a configuration problem.
func AsConfigError(err error) (*ConfigError, bool) {
	var ce *ConfigError
	ok := errors.As(err, &ce)
	return ce, ok
}
