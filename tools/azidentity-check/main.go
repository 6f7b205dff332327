// Command azidentity-check signs in to the Graph emulator with Microsoft's azidentity (MSAL for
// Go underneath) as a real Go client would: a ClientSecretCredential whose cloud names the
// emulator as its authority host, instance discovery off, over HTTPS trusting only the
// emulator's CA. The token it gets then lists flow sets.
//
// Usage: azidentity-check BASE_URL TENANT CLIENT_ID CLIENT_SECRET CA_PEM
//
// Prints the HTTP status of the list and the ids of the flow sets, one per line; exits 1 when
// the credential or the request fails, with the reason on stderr.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

const graphScope = "https://graph.microsoft.com/.default"

func main() {
	if len(os.Args) != 6 {
		fail("usage: azidentity-check BASE_URL TENANT CLIENT_ID CLIENT_SECRET CA_PEM")
	}
	base := strings.TrimSuffix(os.Args[1], "/")
	tenant, clientID, secret, caPath := os.Args[2], os.Args[3], os.Args[4], os.Args[5]

	client, err := trustingOnly(caPath)
	if err != nil {
		fail(err.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	credential, err := azidentity.NewClientSecretCredential(tenant, clientID, secret,
		&azidentity.ClientSecretCredentialOptions{
			ClientOptions: azcore.ClientOptions{
				Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: base + "/"},
				Transport: client,
			},
			// The emulator is no Microsoft cloud; its tenant's OpenID configuration is still read.
			DisableInstanceDiscovery: true,
		})
	if err != nil {
		fail("azidentity refused the credential: " + err.Error())
	}
	token, err := credential.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{graphScope}})
	if err != nil {
		fail("azidentity got no token: " + err.Error())
	}

	status, ids, err := listFlowSets(ctx, client, base, token.Token)
	if err != nil {
		fail(err.Error())
	}
	fmt.Println(status)
	for _, id := range ids {
		fmt.Println(id)
	}
}

// trustingOnly returns an HTTP client whose only trusted root is the PEM certificate at caPath.
func trustingOnly(caPath string) (*http.Client, error) {
	pem, err := os.ReadFile(caPath)
	if err != nil {
		return nil, fmt.Errorf("reading the emulator's CA: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", caPath)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: transport, Timeout: 30 * time.Second}, nil
}

// listFlowSets lists the flow sets with the bearer token; it returns the status and their ids.
func listFlowSets(ctx context.Context, client *http.Client, base, token string) (int, []string, error) {
	url := base + "/beta/external/industryData/outboundProvisioningFlowSets"
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	request.Header.Set("Authorization", "Bearer "+token)
	response, err := client.Do(request)
	if err != nil {
		return 0, nil, fmt.Errorf("listing flow sets: %w", err)
	}
	defer response.Body.Close()
	var page struct {
		Value []struct {
			ID string `json:"id"`
		} `json:"value"`
	}
	if err := json.NewDecoder(response.Body).Decode(&page); err != nil {
		return 0, nil, fmt.Errorf("flow set list (status %d) is not JSON: %w", response.StatusCode, err)
	}
	ids := make([]string, 0, len(page.Value))
	for _, set := range page.Value {
		ids = append(ids, set.ID)
	}
	return response.StatusCode, ids, nil
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, message)
	os.Exit(1)
}
