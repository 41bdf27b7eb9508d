// Command peer is the benchmark's stand-in for upstream's init container
// and its server, written for this project against Debian's grpc-go and
// protobuf-go (no generated code: a codec encodes the two messages by
// field number with protowire).
//
//	peer serve ADDR FILES BYTES   serve JobRunInput with FILES files of BYTES in total
//	peer run                      what upstream's `optimus job run-input` does: one
//	                              unary call, then one os.WriteFile per file,
//	                              .env and .secret, from the DAG's env
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/protobuf/encoding/protowire"
)

const method = "/gotocompany.optimus.core.v1beta1.JobRunService/JobRunInput"

type wire interface {
	marshal() ([]byte, error)
	unmarshal([]byte) error
}

type codec struct{}

func (codec) Name() string                               { return "proto" }
func (codec) Marshal(v interface{}) ([]byte, error)      { return v.(wire).marshal() }
func (codec) Unmarshal(data []byte, v interface{}) error { return v.(wire).unmarshal(data) }

// request is JobRunInputRequest, kept encoded.
type request struct{ raw []byte }

func (r *request) marshal() ([]byte, error) { return r.raw, nil }
func (r *request) unmarshal(b []byte) error  { r.raw = append([]byte(nil), b...); return nil }

// reply is JobRunInputResponse: 1 envs, 2 files, 3 secrets.
type reply struct{ maps [3]map[string]string }

func (r *reply) marshal() ([]byte, error) {
	var out []byte
	for i, m := range r.maps {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			var entry []byte
			entry = protowire.AppendTag(entry, 1, protowire.BytesType)
			entry = protowire.AppendString(entry, k)
			entry = protowire.AppendTag(entry, 2, protowire.BytesType)
			entry = protowire.AppendString(entry, m[k])
			out = protowire.AppendTag(out, protowire.Number(i+1), protowire.BytesType)
			out = protowire.AppendBytes(out, entry)
		}
	}
	return out, nil
}

func (r *reply) unmarshal(b []byte) error {
	for i := range r.maps {
		r.maps[i] = map[string]string{}
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if typ != protowire.BytesType || num < 1 || num > 3 {
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			continue
		}
		entry, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var key, value string
		for len(entry) > 0 {
			f, t, m := protowire.ConsumeTag(entry)
			if m < 0 || t != protowire.BytesType {
				return errors.New("bad map entry")
			}
			entry = entry[m:]
			s, m := protowire.ConsumeString(entry)
			if m < 0 {
				return protowire.ParseError(m)
			}
			entry = entry[m:]
			if f == 1 {
				key = s
			} else {
				value = s
			}
		}
		r.maps[num-1][key] = value
	}
	return nil
}

func main() {
	encoding.RegisterCodec(codec{})
	if len(os.Args) >= 5 && os.Args[1] == "serve" {
		files, _ := strconv.Atoi(os.Args[3])
		total, _ := strconv.Atoi(os.Args[4])
		serve(os.Args[2], files, total)
		return
	}
	if len(os.Args) == 2 && os.Args[1] == "run" {
		if err := run(); err != nil {
			fmt.Fprintln(os.Stderr, "peer:", err)
			os.Exit(1)
		}
		return
	}
	fmt.Fprintln(os.Stderr, "usage: peer serve ADDR FILES BYTES | peer run")
	os.Exit(2)
}

func serve(addr string, files, total int) {
	r := &reply{}
	for i := range r.maps {
		r.maps[i] = map[string]string{}
	}
	each := total / files
	for i := 0; i < files; i++ {
		r.maps[1][fmt.Sprintf("assets/dir%02d/file%04d.sql", i%20, i)] = strings.Repeat(string(rune('a'+i%26)), each)
	}
	for i := 0; i < 30; i++ {
		r.maps[0][fmt.Sprintf("ENV_%02d", i)] = fmt.Sprintf("value %d with 'quotes' and $dollars", i)
		r.maps[2][fmt.Sprintf("SECRET_%02d", i)] = fmt.Sprintf("secret-%d", i)
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(1)
	}
	s := grpc.NewServer(grpc.MaxSendMsgSize(1 << 30))
	desc := grpc.ServiceDesc{
		ServiceName: "gotocompany.optimus.core.v1beta1.JobRunService",
		HandlerType: (*interface{})(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "JobRunInput",
			Handler: func(_ interface{}, _ context.Context, dec func(interface{}) error, _ grpc.UnaryServerInterceptor) (interface{}, error) {
				var req request
				if err := dec(&req); err != nil {
					return nil, err
				}
				return r, nil
			},
		}},
	}
	s.RegisterService(&desc, struct{}{})
	fmt.Println("serving on", lis.Addr())
	_ = s.Serve(lis)
}

func run() error {
	at, err := time.Parse(time.RFC3339, os.Getenv("SCHEDULED_AT"))
	if err != nil {
		return err
	}
	var req []byte
	str := func(n protowire.Number, v string) {
		if v != "" {
			req = protowire.AppendTag(req, n, protowire.BytesType)
			req = protowire.AppendString(req, v)
		}
	}
	str(1, os.Getenv("PROJECT"))
	str(2, os.Getenv("JOB_NAME"))
	var ts []byte
	ts = protowire.AppendTag(ts, 1, protowire.VarintType)
	ts = protowire.AppendVarint(ts, uint64(at.Unix()))
	req = protowire.AppendTag(req, 4, protowire.BytesType)
	req = protowire.AppendBytes(req, ts)
	str(5, os.Getenv("INSTANCE_NAME"))
	req = protowire.AppendTag(req, 6, protowire.VarintType)
	if os.Getenv("INSTANCE_TYPE") == "hook" {
		req = protowire.AppendVarint(req, 2)
	} else {
		req = protowire.AppendVarint(req, 1)
	}
	str(8, os.Getenv("DAG_RUN_ID"))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := grpc.DialContext(ctx, os.Getenv("OPTIMUS_HOST"), grpc.WithInsecure(), grpc.WithBlock(),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(128<<20)))
	if err != nil {
		return err
	}
	defer conn.Close()
	out := &reply{}
	if err := conn.Invoke(ctx, method, &request{raw: req}, out); err != nil {
		return err
	}

	dir := filepath.Join(os.Getenv("JOB_DIR"), "in")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, content := range out.maps[1] {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return err
		}
	}
	for i, file := range map[int]string{0: ".env", 2: ".secret"} {
		var b strings.Builder
		for k, v := range out.maps[i] {
			fmt.Fprintf(&b, "%s='%s'\n", k, strings.ReplaceAll(v, "'", `'\''`))
		}
		if err := os.WriteFile(filepath.Join(dir, file), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}
