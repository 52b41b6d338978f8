// Device shows the device authorization grant (RFC 8628), for devices
// without a browser: DeviceAuth returns a user code and a verification
// URI to show, and DeviceAccessToken polls the token endpoint until the
// user approves on another device.
//
// An embedded fake authorization server with its default client plays
// the provider, and a goroutine approves the code as the user would, so
// it runs with no setup:
//
//	go run ./examples/device
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/tokenward/tokenward/client"
	"github.com/tokenward/tokenward/oauth2test"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, w io.Writer) error {
	// Poll every second instead of the default five.
	srv := oauth2test.NewServer(nil, &oauth2test.Options{DeviceInterval: 1})
	defer srv.Close()

	conf := &client.Config{
		ClientID:     oauth2test.DefaultClientID,
		ClientSecret: oauth2test.DefaultClientSecret,
		Endpoint:     srv.Endpoint(),
		Scopes:       []string{"profile"},
	}
	da, err := conf.DeviceAuth(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "On your phone, visit %s and enter %s\n", da.VerificationURI, da.UserCode)

	// The user approves a little later, on their phone.
	approved := make(chan error, 1)
	go func() {
		time.Sleep(1500 * time.Millisecond)
		approved <- srv.ApproveDevice(da.UserCode, oauth2test.DefaultUsername)
	}()

	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tok, err := conf.DeviceAccessToken(ctx, da)
	if err != nil {
		return err
	}
	if err := <-approved; err != nil {
		return err
	}
	fmt.Fprintf(w, "approved after %d polls: %s token, scope %q, expires in %d s\n",
		srv.GrantRequests(oauth2test.GrantDeviceCode), tok.Type(), tok.Extra("scope"), tok.ExpiresIn)
	return nil
}
