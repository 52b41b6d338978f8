// Package stdoutcapture lets tests of example programs check what the
// programs print to standard output.
package stdoutcapture
