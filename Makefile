# The commands a user types. `make run` is the local demo, `make test` runs
# every test; see README.md.

SHELL := /bin/bash
BUILD    := build
SM_NODE  := statemachine/node_modules
INFRA_NODE := infra/node_modules
# Node 22 from npm comes first: jsii (CDK) and aws-local-stepfunctions need it.
NODE_PATH_PREFIX := $(CURDIR)/$(SM_NODE)/.bin:$(CURDIR)/$(INFRA_NODE)/.bin
export PATH := $(NODE_PATH_PREFIX):$(PATH)

# Demo defaults; any handler setting (see README) can be set in the environment.
export SOURCE_REGION ?= ap-southeast-2
export DESTINATION_REGIONS ?= ap-southeast-1

.PHONY: all build build-local deps test test-go test-e2e lint vulncheck run status run-backup run-restore emulator bench sizes synth bootstrap deploy destroy test-live clean

all: lint test

## build: the one stripped linux/arm64 Lambda binary, build/lambda/bootstrap;
## every function runs it, and its Handler setting selects the handler.
## build/lambda is the functions' code asset, so it holds nothing else.
build:
	@rm -rf $(BUILD)/lambda && mkdir -p $(BUILD)/lambda
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -trimpath -ldflags='-s -w' -o $(BUILD)/lambda/bootstrap ./lambdas/bootstrap

## build-local: the local handler host used by `make run` and the end-to-end tests
build-local:
	go build -o $(BUILD)/local ./lambdas/internal/lambdahost/cmd/local

## deps: Go modules and npm packages (Node 22 comes from npm)
deps: $(SM_NODE)/.installed $(INFRA_NODE)/.installed
	go mod download

$(SM_NODE)/.installed: statemachine/package.json statemachine/package-lock.json
	cd statemachine && npm ci --no-audit --no-fund
	@touch $@

$(INFRA_NODE)/.installed: infra/package.json infra/package-lock.json
	cd infra && npm ci --no-audit --no-fund
	@touch $@

## test: every test the project has (Go unit, emulator, infra synthesis, end-to-end ASL)
test: deps build build-local test-go test-e2e

test-go:
	go test ./...
	go test -race ./lambdas/internal/lambdahost/ ./lambdas/internal/steps/

test-e2e:
	cd statemachine && node --test

## lint: go vet, gofmt, go.mod/go.sum tidiness, staticcheck, govulncheck and
## ESLint on the JS runner and its tests.
## The tools are pinned by the `tool` lines in go.mod (`go get -tool PKG@VERSION`
## upgrades one). The live test (build tag live) is checked too, though only
## test-live runs it.
LINT_TAGS := live

lint: $(SM_NODE)/.installed
	go vet -tags $(LINT_TAGS) ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@go mod tidy -diff || { echo "go mod tidy would change go.mod or go.sum (diff above)"; exit 1; }
	go tool staticcheck -tags $(LINT_TAGS) ./...
	cd statemachine && npm run --silent lint
	@$(MAKE) --no-print-directory vulncheck

## vulncheck: govulncheck, known vulnerabilities in the code the project calls.
## It needs the Go vulnerability database, which has its own server and is
## not served by the Go module proxy, so a machine behind a proxy-only network
## has no copy. Without GOVULNDB the check runs when govulncheck's default
## server answers and otherwise says, loudly, that it was skipped.
## GOVULNDB=file:///dir points it at a local copy in the database's v1 layout
## (cmd/gendb in golang.org/x/vulndb builds one); then it always runs.
vulncheck:
ifdef GOVULNDB
	go tool govulncheck -db $(GOVULNDB) ./...
else
	@if timeout 60 go tool govulncheck -version | grep -q '^DB updated:'; then \
		echo 'go tool govulncheck ./...'; go tool govulncheck ./...; \
	else \
		echo 'govulncheck SKIPPED: the Go vulnerability database is unreachable from this machine (set GOVULNDB to a local copy, see Makefile)' >&2; \
	fi
endif

## run: the local demo: emulator, demo tables, one backup execution, what now
## exists, a second run an hour later that copies only the table written to,
## then a disaster drill: source region down, restore everything, compare
run: deps build-local
	cd statemachine && node run.mjs --machine backup.asl.json --host-bin ../$(BUILD)/local --seed --report --second-run --drill

## status: the status report (a dry run's decisions): per table and
## destination, its RPO, data current as of, RPO age, and what a run would do
## now and why; against AWS_ENDPOINT_URL_DYNAMODB when set (a dry run only),
## else on a fresh demo after one backup run. With STATE_MACHINE_ARN (and AWS
## credentials and the AWS CLI), a dry run of the deployed state machine.
status: deps build-local
ifdef STATE_MACHINE_ARN
	@arn=$$(aws stepfunctions start-execution --state-machine-arn '$(STATE_MACHINE_ARN)' --input '{"dryRun":true}' --query executionArn --output text) && \
	while [ "$$(aws stepfunctions describe-execution --execution-arn "$$arn" --query status --output text)" = RUNNING ]; do sleep 5; done && \
	aws stepfunctions describe-execution --execution-arn "$$arn" --query output --output text | (cd statemachine && node run.mjs --print-status -)
else
	cd statemachine && node run.mjs --machine backup.asl.json --host-bin ../$(BUILD)/local --seed=auto --quiet --status
endif

## run-backup: one backup execution (INPUT=file.json optional) against
## AWS_ENDPOINT_URL_DYNAMODB when set, else a fresh demo emulator
run-backup: deps build-local
	cd statemachine && node run.mjs --machine backup.asl.json --host-bin ../$(BUILD)/local --seed=auto \
		$(if $(INPUT),--input $(abspath $(INPUT)))

## run-restore: one restore execution with INPUT=file.json, like run-backup
run-restore: deps build-local
	@test -n "$(INPUT)" || { echo 'usage: make run-restore INPUT=file.json (see README: Restoring)'; exit 2; }
	cd statemachine && node run.mjs --machine restore.asl.json --host-bin ../$(BUILD)/local --seed=auto --input $(abspath $(INPUT))

## emulator: the DynamoDB emulator in the foreground on EMULATOR_ADDR (default 127.0.0.1:8000)
emulator:
	go run ./lambdas/internal/emulator/cmd/emulator

## bench: the figures quoted in the docs: poll schedules (today's and
## learned), the fleet simulation (a month of copying by RPO against the
## 2021 policy), reading the metrics of 10,000 tables, binary sizes; one
## table's state transitions, history events, detection lag and cost per
## copy for simulated 2-minute, 20-minute and 3-hour restores (the second
## copy, with the first copy's history; also with that history off by -50%
## and +100%, and to three destinations); and one run of 10,000 tables with
## 255-character names to three destinations
bench: sizes deps build-local
	go test -count=1 -run 'TestPollFigures|TestLearnedWaitFigures' -v ./lambdas/core/ | grep -v '^=== RUN'
	go test -count=1 -run 'TestFleet|TestDecideTenThousandTables' -v ./lambdas/internal/fleet/ | grep -v '^=== RUN'
	go test -count=1 -run 'TestChangesAt10000' -v ./lambdas/internal/cwmetrics/ | grep -v '^=== RUN'
	cd statemachine && for d in 2m 20m 3h; do node bench.mjs --restore-time $$d --host-bin ../$(BUILD)/local > /dev/null || exit 1; done
	cd statemachine && for p in 0.5 2; do node bench.mjs --restore-time 3h --prediction $$p --host-bin ../$(BUILD)/local > /dev/null || exit 1; done
	cd statemachine && node bench.mjs --restore-time 3h --destinations 3 --host-bin ../$(BUILD)/local > /dev/null
	cd statemachine && node bench.mjs --scale 10000 --destinations 3 --host-bin ../$(BUILD)/local > /dev/null

## sizes: the size of the Lambda binary
sizes: build
	@printf '%-40s %8d bytes\n' $(BUILD)/lambda/bootstrap $$(stat -c %s $(BUILD)/lambda/bootstrap)

## synth: the CloudFormation templates, offline, into cdk.out/
CDK := cd infra && CDK_DISABLE_CLI_TELEMETRY=true CDK_DISABLE_VERSION_CHECK=1 cdk
synth: deps build
	$(CDK) synth --no-notices -q -o ../cdk.out

## bootstrap / deploy / destroy: every stack, with the AWS credentials of the environment
bootstrap: deps build
	$(CDK) bootstrap --no-notices $(CDK_ARGS)

deploy: deps build
	$(CDK) deploy --all --no-notices -o ../cdk.out $(CDK_ARGS)

destroy: deps
	$(CDK) destroy --all --force --no-notices -o ../cdk.out $(CDK_ARGS)

## test-live: deploys to a real sandbox account, runs a backup and a restore, destroys (needs credentials; run by hand)
test-live: deps build
	CDK_DISABLE_CLI_TELEMETRY=true go test -tags live -run TestLive -timeout 4h -v ./infra/

clean:
	rm -rf $(BUILD) cdk.out
