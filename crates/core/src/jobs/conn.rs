//! One live connection per endpoint: the HTTP client, its event hub (one WebSocket), and an
//! `/object_info` cache with a TTL so preflight does not refetch megabytes for every job.

use std::sync::Arc;
use std::time::{Duration, Instant};

use animatrix_comfy::{Auth, ClientOptions, ComfyClient, Endpoint, EventHub, HubOptions};
use animatrix_workflow::{Device, ModelsByFolder, ObjectInfo, ServerFacts, Template};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use crate::{AuthKind, CoreError, EndpointView};

const OBJECT_INFO_TTL: Duration = Duration::from_secs(300);

pub struct ServerConn {
    pub endpoint: EndpointView,
    pub client: ComfyClient,
    pub hub: EventHub,
    object_info: Mutex<Option<(Instant, Arc<ObjectInfo>)>>,
}

impl ServerConn {
    pub fn open(
        endpoint: EndpointView,
        secret: Option<SecretString>,
    ) -> Result<ServerConn, CoreError> {
        let auth = to_auth(&endpoint.auth, secret)?;
        let ep = Endpoint::parse(&endpoint.base_url, auth)?;
        let client = ComfyClient::new(ep, ClientOptions::default())?;
        // The defaults poll prompts recovered from an earlier run (posted under another
        // client id) every `foreign_poll_interval`, and never GET /queue while the socket is up.
        let hub = EventHub::start(client.clone(), HubOptions::default());
        Ok(ServerConn {
            endpoint,
            client,
            hub,
            object_info: Mutex::new(None),
        })
    }

    /// `/object_info`, cached for five minutes per connection.
    pub async fn object_info(&self) -> Result<Arc<ObjectInfo>, CoreError> {
        let mut cache = self.object_info.lock().await;
        if let Some((at, info)) = cache.as_ref()
            && at.elapsed() < OBJECT_INFO_TTL
        {
            return Ok(info.clone());
        }
        let typed = self.client.object_info().await?;
        // The workflow layer validates against its own schema model; hand it the same JSON.
        let raw = serde_json::to_value(&typed)
            .map_err(|e| CoreError::Corrupt(format!("object_info re-encode: {e}")))?;
        let info = Arc::new(ObjectInfo::from_value(&raw)?);
        *cache = Some((Instant::now(), info.clone()));
        Ok(info)
    }

    /// What the planner and preflight need to know about this server for `template`: node
    /// classes, devices, the model lists of the template's folders.
    pub async fn server_facts(&self, template: &Template) -> Result<ServerFacts, CoreError> {
        let info = self.object_info().await?;
        let models = self.models_for(template).await?;
        Ok(ServerFacts::new(&info, self.devices().await, models))
    }

    /// `/system_stats` devices; `None` when the server does not say.
    async fn devices(&self) -> Option<Vec<Device>> {
        let stats = self.client.system_stats().await.ok()?;
        let body = serde_json::to_value(&stats).ok()?;
        ServerFacts::devices_from_system_stats(&body).ok()
    }

    /// The model lists of the folders a template needs.
    pub async fn models_for(&self, template: &Template) -> Result<ModelsByFolder, CoreError> {
        let mut models = ModelsByFolder::new();
        let folders = animatrix_workflow::model_folders(template);
        for folder in folders {
            if let Some(files) = self.client.models(&folder).await? {
                models.insert(folder, files);
            }
        }
        Ok(models)
    }
}

fn to_auth(kind: &AuthKind, secret: Option<SecretString>) -> Result<Auth, CoreError> {
    let need =
        |s: Option<SecretString>| s.ok_or_else(|| CoreError::SecretRequired { kind: kind.label() });
    Ok(match kind {
        AuthKind::None => Auth::None,
        AuthKind::Bearer => Auth::Bearer(need(secret)?),
        AuthKind::Basic => {
            let s = need(secret)?;
            let (user, password) = s
                .expose_secret()
                .split_once(':')
                .map(|(u, p)| (u.to_string(), SecretString::from(p.to_string())))
                .ok_or_else(|| CoreError::SecretRequired { kind: kind.label() })?;
            Auth::Basic { user, password }
        }
        AuthKind::Header { name } => Auth::Header {
            name: name.clone(),
            value: need(secret)?,
        },
    })
}
